/**
 * List prices of the built-in providers' models, in US dollars per million
 * tokens: input (not read from a cache), output, and where the provider
 * charges them apart, input read from its prompt cache and written to it
 * (Anthropic's 5-minute write). Data, as the providers' pricing pages gave
 * it on PRICES_AS_OF; a configuration's `prices` override or extend it (a
 * negotiated discount, a model not here). A model not found here or there
 * is counted in tokens and reported unpriced, never guessed.
 */
import type { Price } from '../config/schema'

export const PRICES_AS_OF = '2025-11'
export const PRICE_SOURCES = [
  'https://openai.com/api/pricing/',
  'https://www.anthropic.com/pricing#api',
  'https://ai.google.dev/gemini-api/docs/pricing',
]

const p = (input: number, output: number, cacheRead?: number, cacheWrite?: number): Price => ({
  input,
  output,
  ...(cacheRead !== undefined && { cacheRead }),
  ...(cacheWrite !== undefined && { cacheWrite }),
})

export const PRICES: Readonly<Record<string, Price>> = {
  // OpenAI (cached input as listed; no cache-write charge)
  'gpt-5': p(1.25, 10, 0.125),
  'gpt-5-mini': p(0.25, 2, 0.025),
  'gpt-5-nano': p(0.05, 0.4, 0.005),
  'gpt-4.1': p(2, 8, 0.5),
  'gpt-4.1-mini': p(0.4, 1.6, 0.1),
  'gpt-4.1-nano': p(0.1, 0.4, 0.025),
  'gpt-4o': p(2.5, 10, 1.25),
  'gpt-4o-mini': p(0.15, 0.6, 0.075),
  o1: p(15, 60, 7.5),
  o3: p(2, 8, 0.5),
  'o3-mini': p(1.1, 4.4, 0.55),
  'o4-mini': p(1.1, 4.4, 0.275),
  'text-embedding-3-small': p(0.02, 0),
  'text-embedding-3-large': p(0.13, 0),
  // Anthropic (cache read 0.1x input, 5-minute cache write 1.25x)
  'claude-opus-4-5': p(5, 25, 0.5, 6.25),
  'claude-opus-4-1': p(15, 75, 1.5, 18.75),
  'claude-opus-4': p(15, 75, 1.5, 18.75),
  'claude-sonnet-4-5': p(3, 15, 0.3, 3.75),
  'claude-sonnet-4': p(3, 15, 0.3, 3.75),
  'claude-3-7-sonnet': p(3, 15, 0.3, 3.75),
  'claude-haiku-4-5': p(1, 5, 0.1, 1.25),
  'claude-3-5-haiku': p(0.8, 4, 0.08, 1),
  // Gemini (prompts up to 200k tokens; cached input as listed)
  'gemini-2.5-pro': p(1.25, 10, 0.125),
  'gemini-2.5-flash': p(0.3, 2.5, 0.03),
  'gemini-2.5-flash-lite': p(0.1, 0.4, 0.01),
  'gemini-2.0-flash': p(0.1, 0.4, 0.025),
}
