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
  startRequest(headers: Headers, api: string, method: string, path: string): RequestSpan
  /** Sends what is buffered (at shutdown). */
  flush(): Promise<void>
}
