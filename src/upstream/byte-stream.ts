/**
 * How lmlb turns a source of bytes into a response body. The default is a
 * web-standard pull stream (any runtime); a runtime may install a faster
 * one (runtime/bun.ts: Bun's direct streams write to the socket without a
 * promise and a queue per chunk).
 */
export interface ByteSource {
  /** The next bytes to send, or null at the end. */
  next(): Promise<Uint8Array | null>
  cancel(reason?: unknown): Promise<void> | void
}

export type StreamFactory = (source: ByteSource) => ReadableStream<Uint8Array>

export const webStream: StreamFactory = (source) =>
  new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const bytes = await source.next()
        if (bytes === null) controller.close()
        else controller.enqueue(bytes)
      },
      cancel: (reason) => source.cancel(reason),
    },
    { highWaterMark: 0 },
  )

let factory: StreamFactory = webStream

/** The sources behind the streams made here, for a consumer in lmlb to read without a stream layer in between. */
const sources = new WeakMap<ReadableStream<Uint8Array>, ByteSource>()

export function byteStream(source: ByteSource): ReadableStream<Uint8Array> {
  const stream = factory(source)
  sources.set(stream, source)
  return stream
}

/**
 * Reads a stream as a ByteSource: straight from its source when byteStream
 * made it (a translated stream reads the relay's chunks directly), else
 * through a reader.
 */
export function sourceOf(stream: ReadableStream<Uint8Array>): ByteSource {
  const source = sources.get(stream)
  if (source) return source
  const reader = stream.getReader()
  return {
    next: async () => {
      const { value, done } = await reader.read()
      return done ? null : value
    },
    cancel: (reason) => reader.cancel(reason),
  }
}

export function useStreamFactory(f: StreamFactory): void {
  factory = f
}
