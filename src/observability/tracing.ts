/**
 * OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: one
 * span per API request (continuing the client's `traceparent`) with a child
 * span per upstream attempt, named and attributed by the GenAI semantic
 * conventions. When off there is no tracer: the request path checks one
 * undefined field.
 */
export interface AttemptSpanStart {
  service: string
  /** `gen_ai.provider.name`: openai, anthropic, gcp.gemini, or the service's name. */
  provider: string
  model: string
  endpoint: string
  /** The masked key. */
  key: string | null
}

export interface AttemptSpan {
  /** `outcome`: the upstream's status, or how the attempt failed (timeout, connect). */
  end(outcome: string, status?: number): void
}

export interface RequestSpanEnd {
  status: number
  /** The model the client asked for, and the service/model that answered. */
  model?: string
  served?: string
  tokens?: { input: number; output: number; cacheRead: number }
}

export interface RequestSpan {
  attempt(start: AttemptSpanStart): AttemptSpan
  end(end: RequestSpanEnd): void
}

export interface RequestTracer {
  /** The request's span; none while the tracer is not ready yet. */
  startRequest(headers: Headers, api: string, method: string, path: string): RequestSpan | undefined
  /** Sends what is buffered (at shutdown). */
  flush(): Promise<void>
}

/**
 * A tracer that exists from the start and traces once `load` has given it
 * the real one (OpenTelemetry's packages load in the background: requests
 * before that have no span). What `load` throws is logged, and no span follows.
 */
export function tracerLoadedBy(load: () => Promise<RequestTracer>, onError: (error: Error) => void): RequestTracer {
  let loaded: RequestTracer | undefined
  const ready = load().then(
    (tracer) => void (loaded = tracer),
    (error: Error) => onError(error),
  )
  return {
    startRequest: (headers, api, method, path) => loaded?.startRequest(headers, api, method, path),
    flush: async () => {
      await ready
      await loaded?.flush()
    },
  }
}
