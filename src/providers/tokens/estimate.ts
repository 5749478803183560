/**
 * A local estimate of an Anthropic request's input tokens, for
 * /v1/messages/count_tokens when the model is served in the OpenAI format
 * (no upstream count to ask). Counted with a real BPE tokenizer (o200k, the
 * GPT-4o family's) over everything the model reads: system, messages, tool
 * calls and results, tool definitions. An estimate: other models tokenize
 * differently, and images are counted at a flat rate.
 */
type Block = { type?: string; text?: string; thinking?: string; input?: unknown; content?: unknown; name?: string }
type Message = { role: string; content?: unknown }
type Tool = { name?: string; description?: string; input_schema?: unknown }

export interface CountableRequest {
  system?: unknown
  messages: Message[]
  /** Whatever the client sent: only well-formed tools count. */
  tools?: unknown
}

/** Anthropic's own rule of thumb for an image of about 1092×1092 px. */
export const IMAGE_TOKENS = 1600
/** Framing each message costs beyond its text (role markers, separators). */
const PER_MESSAGE = 4

let tokenizer: Promise<(text: string) => number> | undefined

/** The tokenizer loads on first use (about 0.4 s): start-up stays fast. */
function loadTokenizer(): Promise<(text: string) => number> {
  tokenizer ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => (text: string) => m.countTokens(text))
  return tokenizer
}

export async function estimateInputTokens(request: CountableRequest): Promise<number> {
  const count = await loadTokenizer()
  const texts: string[] = []
  let images = 0
  const walk = (content: unknown) => {
    if (typeof content === 'string') return void texts.push(content)
    if (!Array.isArray(content)) return
    for (const block of content as (Block | null)[]) {
      // Whatever the client sent: only well-formed blocks count.
      if (!block || typeof block !== 'object') continue
      if (block.type === 'image' || block.type === 'document') images++
      else if (typeof block.text === 'string') texts.push(block.text)
      else if (typeof block.thinking === 'string') texts.push(block.thinking)
      else if (block.type === 'tool_use') texts.push(String(block.name ?? ''), JSON.stringify(block.input ?? {}))
      else if (block.type === 'tool_result') walk(block.content)
    }
  }
  walk(request.system)
  for (const m of request.messages) walk(m?.content)
  for (const tool of Array.isArray(request.tools) ? (request.tools as (Tool | null)[]) : [])
    if (tool && typeof tool === 'object')
      texts.push(String(tool.name ?? ''), String(tool.description ?? ''), JSON.stringify(tool.input_schema ?? {}))
  const textTokens = texts.reduce((n, t) => n + (t === '' ? 0 : count(t)), 0)
  return textTokens + images * IMAGE_TOKENS + request.messages.length * PER_MESSAGE
}
