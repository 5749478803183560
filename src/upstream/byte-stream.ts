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

export function byteStream(source: ByteSource): ReadableStream<Uint8Array> {
  return factory(source)
}

export function useStreamFactory(f: StreamFactory): void {
  factory = f
}
