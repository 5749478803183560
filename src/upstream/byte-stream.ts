/**
 * A source of bytes (an upstream stream as the relay hands it on, or a
 * translation of one), and how a response body is made of it. The
 * web-standard pull stream works on any runtime; a runtime may hand in a
 * faster factory (runtime/bun.ts: Bun's direct streams write to the socket
 * without a promise and a queue per chunk).
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
