/** A response with headers set: on it where its headers may change, else on a copy (a response made elsewhere may hold immutable ones). */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  try {
    for (const name in headers) response.headers.set(name, headers[name])
    return response
  } catch {
    const copy = new Response(response.body, response)
    for (const name in headers) copy.headers.set(name, headers[name])
    return copy
  }
}
