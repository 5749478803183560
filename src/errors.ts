/** The one error type lmlb raises; http/errors.ts turns it into a response in the inbound API's own shape. */
export class ProxyError extends Error {
  constructor(
    readonly status: number,
    /** A short machine-readable reason, sent as OpenAI's `code`. */
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}
