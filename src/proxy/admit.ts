/**
 * A client key with limits (rpm, tpm, at once, models) is counted in, or
 * refused, before anything goes upstream, and released with its tokens when
 * the answer is over (the request's log line is written then).
 */
import type { RequestRecord } from '../observability/request-record'
import type { ProxyState } from '../state/proxy-state'
import type { Runtime } from '../state/runtime'

export async function admit(
  runtime: Runtime,
  state: ProxyState,
  clientKey: string | undefined,
  model: string,
  record: RequestRecord,
): Promise<void> {
  const budget = clientKey === undefined ? undefined : state.budgets.get(clientKey)
  if (budget === undefined) return
  const release = await runtime.admission.admit(clientKey!, budget, model)
  record.onFinish = () => release((record.tokens?.input ?? 0) + (record.tokens?.output ?? 0))
}
