/** The resolved configuration as `--check` prints it: keys masked, nothing secret. */
import { maskKey } from '../observability/redact'
import type { Config } from './schema'

export function describeConfig(config: Config): string {
  const lines = [
    `listen: http://${config.host}:${config.port}`,
    `log level: ${config.logLevel}`,
    `claude models: sonnet/opus → ${config.bigModel}, haiku → ${config.smallModel} (preferred provider ${config.preferredProvider})`,
    `client auth: ${config.proxyApiKeys.length > 0 ? `${config.proxyApiKeys.length} proxy key(s)` : 'off (PROXY_API_KEYS unset)'}`,
    'services:',
  ]
  for (const s of Object.values(config.services)) {
    const configured = s.keys.filter((k) => k.source !== 'admin')
    const added = s.keys.filter((k) => k.source === 'admin')
    const masked = (keys: typeof s.keys) => keys.map((k) => maskKey(k.value)).join(', ')
    const keys =
      (configured.length === 0 ? 'no keys' : `${configured.length} key(s): ${masked(configured)}`) +
      (added.length === 0 ? '' : `; added through the admin API: ${added.length} key(s): ${masked(added)}`)
    const extras = [s.strategy !== 'round-robin' ? `strategy ${s.strategy}` : '', s.models ? `models ${s.models.join(', ')}` : ''].filter(
      Boolean,
    )
    lines.push(`  ${s.name} (${s.format}): ${keys}${extras.length ? `; ${extras.join('; ')}` : ''}`)
    for (const e of s.endpoints) lines.push(`    ${e.url}${s.strategy === 'weighted' ? ` (weight ${e.weight})` : ''}`)
  }
  lines.push('  mock (both formats): built in, no key')
  const aliases = Object.entries(config.aliases)
  if (aliases.length > 0) {
    lines.push('aliases:')
    for (const [name, a] of aliases) lines.push(`  ${name} (${a.strategy}) → ${a.targets.map((t) => `${t.service}/${t.model}`).join(', ')}`)
  }
  return lines.join('\n')
}
