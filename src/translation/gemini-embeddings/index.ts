/**
 * Gemini's embeddings (`:embedContent`, `:batchEmbedContents`) served by an
 * OpenAI-format service's `/embeddings`: each content's text parts, joined,
 * are one input; `outputDimensionality` is `dimensions`. Dropped:
 * `taskType` and `title` (OpenAI's embeddings have neither), non-text parts.
 * The answer's vectors come back in the request's order, as Gemini's
 * `embedding` (one) or `embeddings` (a batch). Embeddings never stream.
 */
import type { Pair } from '../pair'

interface EmbedRequest {
  content?: { parts?: { text?: unknown }[] }
  outputDimensionality?: number
  requests?: EmbedRequest[]
}

interface OpenAIEmbeddings {
  data?: { index?: number; embedding?: number[] }[]
}

/** Whether the client asked for one embedding (`:embedContent`) or a batch. */
type Context = { batch: boolean }

const textOf = (r: EmbedRequest) =>
  (r.content?.parts ?? [])
    .map((p) => (typeof p?.text === 'string' ? p.text : ''))
    .filter((t) => t !== '')
    .join('\n')

export const geminiEmbeddingsOverOpenAI: Pair<EmbedRequest, Context, undefined> = {
  upstream: 'chat',
  request(req, { model }) {
    const batch = Array.isArray(req.requests)
    const items = batch ? req.requests! : [req]
    const dimensions = items[0]?.outputDimensionality
    return {
      body: { model, input: items.map(textOf), ...(typeof dimensions === 'number' && { dimensions }) },
      context: { batch },
    }
  },
  response(answer: OpenAIEmbeddings, { batch }) {
    const vectors = [...(answer.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => ({ values: d.embedding ?? [] }))
    return batch ? { embeddings: vectors } : { embedding: vectors[0] ?? { values: [] } }
  },
  // Never called: an embedding is one whole answer.
  stream: { start: () => undefined, push: () => '', finish: () => '', fail: () => '' },
}
