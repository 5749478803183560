/**
 * A client key with limits (rpm, tpm, at once, models) is counted in, or
 * refused, before anything goes upstream, and released with its tokens when
 * the answer is over (the request's log line is written then).
 */
import type { RequestRecord } from '../observability/request-record'
import type { ProxyState, Runtime } from '../state/state'

export async function admit(
  runtime: Runtime,
  state: ProxyState,
  clientKey: string | undefined,
  model: string,
  record: RequestRecord,
): Promise<void> {
  if (clientKey === undefined || !state.budgets.has(clientKey)) return
  const release = await runtime.admission.admit(clientKey, model)
  record.onFinish = () => release((record.tokens?.input ?? 0) + (record.tokens?.output ?? 0))
}
