/** The answer the client gets: as the upstream gave it, or back through its translation. */
import { ProxyError } from '../errors'
import type { Scrubber } from '../observability/scrub'
import type { StreamFactory } from '../upstream/byte-stream'
import { asItCame } from './as-it-came'
import type { Attempted } from './attempt'

export async function respond({ answer, back }: Attempted, streams: StreamFactory, scrubber: Scrubber, service: string): Promise<Response> {
  if (!back) return asItCame(answer, streams)
  try {
    return await back(answer)
  } catch (error) {
    throw new ProxyError(
      502,
      'upstream_unreadable',
      `the answer from "${service}" could not be translated: ${scrubber.text((error as Error).message)}`,
    )
  }
}
