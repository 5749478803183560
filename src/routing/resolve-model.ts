/**
 * A request's `model` → where it may go (CONTRACT "Routing"): one
 * deployment (a service and the model name it gets there), or several for
 * an alias, chosen among by the alias's strategy. Pure: it reads only the
 * settings given.
 */
import { MOCK_SERVICE } from '../config/defaults'
import { BUILTIN_PROVIDERS } from '../providers'
import type { AliasConfig, Strategy } from '../config/schema'
import { own } from '../util/own'

export interface RoutingSettings {
  services: readonly string[]
  aliases: Readonly<Record<string, AliasConfig>>
  preferredProvider: 'openai' | 'anthropic' | 'google'
  bigModel: string
  smallModel: string
}

export interface Deployment {
  service: string
  model: string
}

export type Route =
  | { ok: true; kind: 'single'; service: string; model: string }
  | { ok: true; kind: 'alias'; alias: string; strategy: Strategy; targets: readonly Deployment[] }
  | { ok: false; message: string }

/** Each built-in provider's model names, routed to its service (CONTRACT "Routing": known families). */
const FAMILIES = BUILTIN_PROVIDERS.flatMap((p) => (p.family ? [[p.family, p.name] as const] : []))

export function resolveModel(model: string, settings: RoutingSettings): Route {
  const prefixed = byPrefix(model, settings)
  if (prefixed) return prefixed

  const alias = own(settings.aliases, model)
  if (alias) return { ok: true, kind: 'alias', alias: model, strategy: alias.strategy, targets: alias.targets }

  // claude-code-proxy: Claude tiers map onto the preferred provider's models.
  const lower = model.toLowerCase()
  const tier = lower.includes('haiku') ? 'small' : lower.includes('sonnet') || lower.includes('opus') ? 'big' : undefined
  if (tier && settings.preferredProvider !== 'anthropic') {
    const mapped = tier === 'small' ? settings.smallModel : settings.bigModel
    const service = settings.preferredProvider === 'google' ? 'gemini' : settings.preferredProvider
    return byPrefix(mapped, settings) ?? { ok: true, kind: 'single', service, model: mapped }
  }

  for (const [pattern, service] of FAMILIES) {
    if (pattern.test(lower)) return { ok: true, kind: 'single', service, model }
  }
  const known = [MOCK_SERVICE, ...settings.services].join(', ')
  const aliases = Object.keys(settings.aliases)
  return {
    ok: false,
    message:
      `lmlb cannot route model "${model}": use "<service>/<model>" with a configured service (${known})` +
      (aliases.length > 0 ? `, an alias (${aliases.join(', ')})` : '') +
      ', or a gpt-, o1/o3/o4-, gemini- or claude- model name ' +
      "(or one of OpenAI's text-embedding-, omni-moderation-, whisper-, tts-, dall-e- models, or Google's text-embedding-0…)",
  }
}

function byPrefix(model: string, settings: RoutingSettings): Route | undefined {
  const slash = model.indexOf('/')
  if (slash <= 0) return undefined
  const service = model.slice(0, slash)
  if (service !== MOCK_SERVICE && !settings.services.includes(service)) return undefined
  if (slash === model.length - 1)
    return { ok: false, message: `model "${model}" names service ${service} but no model: use "${service}/<model>"` }
  return { ok: true, kind: 'single', service, model: model.slice(slash + 1) }
}
