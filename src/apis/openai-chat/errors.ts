/** OpenAI's error shape (every OpenAI route shares it), and the `error.type` it gives each status. */
const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
}

export function openaiErrorType(status: number): string {
  return TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error')
}

export function openaiErrorBody(status: number, code: string, message: string): object {
  return { error: { message, type: openaiErrorType(status), param: null, code } }
}
