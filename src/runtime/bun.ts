/** The only module that touches Bun's own APIs: binding the app to a port. */
export interface Listening {
  port: number
  hostname: string
  /** Stops accepting; resolves when in-flight requests have finished. */
  stop(force?: boolean): Promise<void>
}

export function listen(fetchHandler: (request: Request) => Response | Promise<Response>, hostname: string, port: number): Listening {
  const server = Bun.serve({
    hostname,
    port,
    // One instance per port unless workers are asked for (Bun's default would share it silently).
    reusePort: false,
    // Idle client connections close after a while; proxied calls opt out below.
    idleTimeout: 120,
    fetch(request, server) {
      // A model may think for minutes before its first byte: lmlb's own timeouts govern proxied calls.
      if (request.method === 'POST') server.timeout(request, 0)
      return fetchHandler(request)
    },
  })
  return {
    port: server.port!,
    hostname: server.hostname!,
    stop: (force = false) => server.stop(force),
  }
}
