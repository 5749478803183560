/**
 * Hands an upstream body to the client chunk by chunk, untouched, and says
 * when it ended and how. A stream that breaks after bytes have gone out can
 * no longer change its status: it ends with one last error event instead of
 * a silent cut.
 */
export type RelayEnd = 'done' | 'upstream_error' | 'client_gone'

export function relay(
  body: ReadableStream<Uint8Array>,
  onEnd: (how: RelayEnd) => void,
  /** For SSE: the event that tells the client the stream broke. Without it the stream errors. */
  errorEvent?: (message: string) => string,
): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let ended = false
  const end = (how: RelayEnd) => {
    if (!ended) {
      ended = true
      onEnd(how)
    }
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await reader.read()
          if (done) {
            end('done')
            controller.close()
          } else controller.enqueue(value)
        } catch (error) {
          end('upstream_error')
          if (!errorEvent) return controller.error(error)
          controller.enqueue(new TextEncoder().encode(errorEvent(`upstream stream failed: ${(error as Error).message}`)))
          controller.close()
        }
      },
      cancel(reason) {
        end('client_gone')
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}
