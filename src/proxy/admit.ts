/**
 * A client key with limits (rpm, tpm, at once, models) is counted in, or
 * refused, before anything goes upstream, and released with its tokens when
 * the answer is over (the request's log line is written then). A key with
 * no limits costs nothing here: no promise to wait on.
 */
import type { RequestRecord } from '../observability/request-record'
import type { ProxyState } from '../state/proxy-state'
import type { Runtime } from '../state/runtime'

export function admit(
  runtime: Runtime,
  state: ProxyState,
  clientKey: string | undefined,
  model: string,
  record: RequestRecord,
): Promise<void> | undefined {
  const budget = clientKey === undefined ? undefined : state.budgets.get(clientKey)
  if (budget === undefined) return undefined
  return Promise.resolve(runtime.admission.admit(clientKey!, budget, model)).then((release) => {
    record.onFinish = () => release((record.tokens?.input ?? 0) + (record.tokens?.output ?? 0))
  })
}
