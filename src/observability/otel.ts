/**
 * The tracer behind tracing.ts, made of OpenTelemetry's own packages; start.ts
 * imports this module only when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set.
 *
 * Spans are exported over OTLP/HTTP (JSON) in batches. Everything is local to
 * the tracer made here: no global tracer provider, propagator or context
 * manager. A request span's parent comes from the client's `traceparent` /
 * `tracestate`, an attempt span's parent is its request span, both passed
 * explicitly (no AsyncLocalStorage).
 *
 * sdk-trace 3 no longer reads the environment: the batch (OTEL_BSP_*) and
 * sampler (OTEL_TRACES_SAMPLER*) variables are read here, from `env`. The
 * exporter reads its own (OTEL_EXPORTER_OTLP_*: headers, timeout,
 * compression, certificates) from process.env; its URL is given from `env`.
 *
 * Names and attributes follow the GenAI semantic conventions: a span is named
 * `{gen_ai.operation.name} {gen_ai.request.model}`, the request span (SERVER)
 * carries what the client asked for and what answered, each attempt
 * (CLIENT) the provider, model and endpoint it called.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api'
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace'
import type { Logger } from './log'
import type { AttemptSpan, AttemptSpanStart, RequestSpan, RequestSpanEnd, RequestTracer } from './tracing'

type Env = Record<string, string | undefined>

/** How long `flush()` waits for the last spans to leave. */
const FLUSH_MS = 5000

/** `gen_ai.operation.name` by request path; other paths have none. */
const OPERATIONS: Record<string, string> = {
  '/v1/chat/completions': 'chat',
  '/v1/messages': 'chat',
  '/v1/responses': 'chat',
  '/v1/embeddings': 'embeddings',
  '/v1/completions': 'text_completion',
}

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
}

/** The OTLP/HTTP traces URL: the per-signal variable as given, else `<endpoint>/v1/traces`. */
export function tracesUrl(env: Env): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()
  if (traces) return traces
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  if (base) return `${base.replace(/\/+$/, '')}/v1/traces`
}

/** A non-negative integer from the environment, else undefined (the SDK's default). */
function count(env: Env, name: string): number | undefined {
  const n = Number(env[name])
  return env[name]?.trim() && Number.isInteger(n) && n >= 0 ? n : undefined
}

/** OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG; by default parentbased_always_on (a client's unsampled trace stays unsampled). */
function samplerOf(env: Env): Sampler {
  const ratio = () => {
    const r = Number(env.OTEL_TRACES_SAMPLER_ARG)
    return env.OTEL_TRACES_SAMPLER_ARG?.trim() && r >= 0 && r <= 1 ? r : 1
  }
  switch (env.OTEL_TRACES_SAMPLER?.trim()) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio())
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) })
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
  }
}

/** `server.address` and `server.port` of an endpoint URL (the scheme's port when none is written). */
function serverOf(endpoint: string): Attributes {
  try {
    const url = new URL(endpoint)
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined
    return { 'server.address': url.hostname.replace(/^\[(.*)\]$/, '$1'), ...(port !== undefined && { 'server.port': port }) }
  } catch {
    return {}
  }
}

/**
 * The exporter, saying when the collector starts refusing spans (unreachable,
 * or an error status once the exporter's own retries are spent) and when it
 * takes them again: once each way, never a line per batch.
 */
class ReportingExporter implements SpanExporter {
  private failing = false

  constructor(
    private readonly inner: SpanExporter,
    private readonly say: (ok: boolean, error?: Error) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      const ok = result.code === ExportResultCode.SUCCESS
      if (ok === this.failing) {
        this.failing = !ok
        this.say(ok, result.error)
      }
      done(result)
    })
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve()
  }
}

export function createTracer(env: Env, version: string, logger: Logger): RequestTracer {
  const url = tracesUrl(env)
  const exporter = new ReportingExporter(new OTLPTraceExporter({ url }), (ok, error) =>
    ok
      ? logger.always(`tracing: the collector at ${url} takes spans again`)
      : logger.warn(
          `tracing: the collector at ${url} refused spans (${error?.message ?? 'no reason given'}); they are dropped until it takes them again`,
        ),
  )
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': env.OTEL_SERVICE_NAME?.trim() || 'lmlb',
        'service.version': version,
      }),
    ),
    sampler: samplerOf(env),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: count(env, 'OTEL_BSP_SCHEDULE_DELAY'),
        exportTimeoutMillis: count(env, 'OTEL_BSP_EXPORT_TIMEOUT'),
        maxQueueSize: count(env, 'OTEL_BSP_MAX_QUEUE_SIZE'),
        maxExportBatchSize: count(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
      }),
    ],
  })
  const tracer = provider.getTracer('lmlb', version)
  const propagator = new W3CTraceContextPropagator()

  return {
    startRequest(headers, api, method, path) {
      const operation = OPERATIONS[path]
      const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter)
      const span = tracer.startSpan(
        `lmlb ${method} ${path}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': method,
            'url.path': path,
            'lmlb.api': api,
            ...(operation && { 'gen_ai.operation.name': operation }),
          },
        },
        parent,
      )
      return new OtelRequestSpan(tracer, span, operation)
    },
    // At shutdown: bounded, so an unreachable collector (the exporter retries) holds lmlb back at most FLUSH_MS.
    flush: () => provider.forceFlush({ timeoutMillis: FLUSH_MS }),
  }
}

function attemptSpan(tracer: Tracer, parent: Span, operation: string | undefined, start: AttemptSpanStart): AttemptSpan {
  const span = tracer.startSpan(
    `${operation ?? 'upstream'} ${start.model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...(operation && { 'gen_ai.operation.name': operation }),
        'gen_ai.provider.name': start.provider,
        'gen_ai.request.model': start.model,
        ...serverOf(start.endpoint),
        'lmlb.service': start.service,
        ...(start.key !== null && { 'lmlb.key': start.key }),
      },
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  )
  let ended = false
  return {
    end(outcome, status) {
      if (ended) return
      ended = true
      span.setAttribute('lmlb.outcome', outcome)
      if (status !== undefined) span.setAttribute('http.response.status_code', status)
      if (!/^2\d\d$/.test(outcome)) {
        span.setAttribute('error.type', outcome)
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: status !== undefined ? `upstream answered ${status}` : `upstream: ${outcome}`,
        })
      }
      span.end()
    },
  }
}

class OtelRequestSpan implements RequestSpan {
  private ended = false
  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly operation: string | undefined,
  ) {}

  attempt(start: AttemptSpanStart): AttemptSpan {
    return attemptSpan(this.tracer, this.span, this.operation, start)
  }

  end({ status, model, served, tokens }: RequestSpanEnd): void {
    if (this.ended) return
    this.ended = true
    const span = this.span
    span.setAttribute('http.response.status_code', status)
    if (model) {
      span.setAttribute('gen_ai.request.model', model)
      if (this.operation) span.updateName(`${this.operation} ${model}`)
    }
    if (served) {
      span.setAttribute('lmlb.served', served)
      const slash = served.indexOf('/')
      span.setAttribute('gen_ai.response.model', slash < 0 ? served : served.slice(slash + 1))
    }
    if (tokens && (tokens.input > 0 || tokens.output > 0)) {
      span.setAttribute('gen_ai.usage.input_tokens', tokens.input)
      span.setAttribute('gen_ai.usage.output_tokens', tokens.output)
      if (tokens.cacheRead > 0) span.setAttribute('gen_ai.usage.cache_read.input_tokens', tokens.cacheRead)
    }
    if (status >= 500) {
      span.setAttribute('error.type', String(status))
      span.setStatus({ code: SpanStatusCode.ERROR })
    }
    span.end()
  }
}
