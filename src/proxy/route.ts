/**
 * Where a request may go: its model resolved to one service or an alias's
 * deployments (CONTRACT "Routing"), then the targets it may take (a
 * chooser over their pools), its session's pin tried first.
 */
import { pinnedChooser } from '../balancer/affinity'
import { aliasChooser, isServiceable, singleChooser, type Chooser } from '../balancer/choosers'
import type { Pin } from '../balancer/pins'
import type { ServicePool } from '../balancer/service-pool'
import type { AffinityMode } from '../config/schema'
import { ProxyError } from '../errors'
import { resolveModel, type Route, type RoutingSettings } from '../routing/resolve-model'
import type { ProxyState } from '../state/proxy-state'
import type { Inbound } from './parse'
import { findSession, withPin, type SessionPin } from './session-pins'

export type Routed = Extract<Route, { ok: true }>

export function routingSettings({ serviceNames, config }: ProxyState): RoutingSettings {
  return {
    services: serviceNames,
    aliases: config.aliases,
    preferredProvider: config.preferredProvider,
    bigModel: config.bigModel,
    smallModel: config.smallModel,
  }
}

export function routeOf(state: ProxyState, model: string): Routed {
  const route = resolveModel(model, routingSettings(state))
  if (!route.ok) throw new ProxyError(404, 'model_not_found', route.message)
  return route
}

/** Where one request may go, and what it brings. */
export interface Plan {
  chooser: Chooser
  /** Its conversation, when it names one and the route keeps sessions on their key. */
  session?: SessionPin
}

/** `owner`: the account holding the response a Responses request continues, tried before anything else. */
export function choose(state: ProxyState, inbound: Inbound, route: Routed, headers: Headers, owner?: Pin): Plan {
  // A rough estimate of the input (four bytes a token): a key whose reported token quota is below it is passed over.
  const tokensNeeded = Math.ceil((inbound.upload?.bytes.length ?? inbound.text.length) / 4)
  const chooser =
    route.kind === 'single'
      ? serviceChooser(state, route.service, route.model, tokensNeeded)
      : aliasChooser(state.aliases.get(route.alias)!, tokensNeeded)
  // Conversations keep their key (its prompt cache); token counts and OpenAI's other endpoints have none.
  const { endpoint } = inbound
  const keepsSession = !endpoint.passOnly && !endpoint.countsTokens
  const session = keepsSession
    ? findSession(state, affinityMode(state, route), routeName(route), headers, inbound.body, Date.now())
    : undefined
  const pinned = withPin(chooser, session, tokensNeeded)
  return { chooser: owner ? pinnedChooser(pinned, owner, tokensNeeded, () => {}) : pinned, session }
}

/** The pool a route tries first. */
export function firstPool(state: ProxyState, route: Routed): ServicePool | undefined {
  const service = route.kind === 'single' ? route.service : route.targets[0]?.service
  return service === undefined ? undefined : state.pools.get(service)
}

function serviceChooser(state: ProxyState, name: string, model: string, tokensNeeded: number): Chooser {
  const pool = state.pools.get(name)!
  if (!isServiceable(pool)) {
    throw new ProxyError(401, 'no_upstream_key', `lmlb has no API key for service "${name}": set ${pool.service.keyVariables}`)
  }
  const allowed = pool.service.models
  if (allowed && !allowed.includes(model)) {
    throw new ProxyError(404, 'model_not_found', `service "${name}" does not serve model "${model}"; it serves: ${allowed.join(', ')}`)
  }
  return singleChooser(pool, model, tokensNeeded)
}

/** A single service's own affinity setting; an alias follows the top-level one. */
function affinityMode(state: ProxyState, route: Routed): AffinityMode {
  return route.kind === 'single' ? state.pools.get(route.service)!.service.affinity : state.config.affinity
}

function routeName(route: Routed): string {
  return route.kind === 'single' ? `${route.service}/${route.model}` : route.alias
}
