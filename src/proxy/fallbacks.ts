/**
 * A model or alias may name `fallbacks` (the configuration file): models
 * tried in order when it cannot be served, before the client has a byte.
 * Only for what another model may fix: nothing to serve it (every target
 * cooling, every key refused, no key), a 429, a 5xx or 529, a timeout or a
 * stream that broke before its first byte, each after lmlb's own retries;
 * never the client's own 4xx. Each model of the chain is tried once; the
 * last one's outcome is the client's.
 */
import { ProxyError } from '../errors'
import type { Logger } from '../observability/log'
import type { ProxyState } from '../state/proxy-state'
import type { Choice } from '../balancer/choosers'
import type { Dispatched } from './dispatch'
import { own } from '../util/own'
import { withHeaders } from '../util/with-headers'
import { routeOf, type Routed } from './route'

/** The model (or alias) asked for, then its fallbacks, each once; undefined for a model with none (nearly every request). */
export function fallbackChain(state: ProxyState, model: string): string[] | undefined {
  const next = own(state.config.fallbacks, model)
  return next && [...new Set([model, ...next])]
}

/**
 * `serve` on `first` (the asked model's route); while what came back is
 * for another model to fix, on each fallback in turn. Returns what served,
 * and which model it was.
 */
export async function withFallbacks(
  state: ProxyState,
  chain: readonly string[],
  first: Routed,
  serve: (route: Routed) => Promise<Dispatched>,
  logger: Logger,
): Promise<Dispatched & { model: string }> {
  for (let i = 0; ; i++) {
    const model = chain[i]
    const last = i === chain.length - 1
    let served: Dispatched
    try {
      served = await serve(i === 0 ? first : routeOf(state, model))
    } catch (error) {
      // A fallback that does not route (a name no service has) is passed over as one that cannot serve.
      const unroutable = i > 0 && error instanceof ProxyError && error.code === 'model_not_found'
      if (last || !(error instanceof ProxyError) || !(unroutable || cannotServe(error.status))) throw error
      logger.warn(`${model} could not be served (${error.status} ${error.code}): falling back to ${chain[i + 1]}`)
      continue
    }
    const { status } = served.attempted.answer
    if (last || !(status === 429 || status >= 500)) return { ...served, model }
    logger.warn(`${model} answered ${status}: falling back to ${chain[i + 1]}`)
  }
}

/** What lmlb raises when a model cannot be served: every target cooling (503), keys refused or none (401, 403), timeouts and 5xx. */
function cannotServe(status: number): boolean {
  return status === 401 || status === 403 || status === 429 || status >= 500
}

/** Whether `choice` is one of `route`'s own deployments (not a fallback's). */
export function routes(route: Routed, { deployment }: Choice): boolean {
  const service = deployment.pool.service.name
  if (route.kind === 'single') return route.service === service && route.model === deployment.model
  return route.targets.some((t) => t.service === service && t.model === deployment.model)
}

/** The answer, naming the deployment that served it (`x-lmlb-served-model: service/model`). */
export function servedBy(response: Response, served: string): Response {
  return withHeaders(response, { 'x-lmlb-served-model': served })
}
