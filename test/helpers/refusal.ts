import { ProxyError } from '../../src/errors'

/** The ProxyError `run` throws; anything else it throws, or nothing thrown, fails the test. */
export function refusal(run: () => unknown): ProxyError {
  try {
    run()
  } catch (error) {
    if (error instanceof ProxyError) return error
    throw error
  }
  throw new Error('expected a ProxyError')
}
