/**
 * What a request cost: its tokens at the price of the model that served
 * it, found in the service's own `prices`, then the configuration's, then
 * the bundled list prices (providers/prices.ts); a dated name
 * (`claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`) takes its family's
 * price unless it has its own. No price: undefined, never a guess.
 */
import type { Config, Price } from '../config/schema'
import { PRICES } from '../providers/prices'
import { own } from '../util/own'

export interface Tokens {
  /** Every input token, those read from and written to a cache included. */
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
}

const DATED = /-(\d{8}|\d{4}-\d{2}-\d{2})$/

/** The price of `model` on `service` (undefined where none is known). */
export function priceOf(config: Config, service: string, model: string): Price | undefined {
  const tables = [config.services[service]?.prices, config.prices, PRICES]
  for (const name of DATED.test(model) ? [model, model.replace(DATED, '')] : [model])
    for (const table of tables) {
      const price = table && own(table, name)
      if (price) return price
    }
  return undefined
}

/** US dollars: input not read from a cache at the input price, cache reads and writes at theirs (absent: input's), output at output's. */
export function costOf(tokens: Tokens, price: Price): number {
  const fresh = Math.max(0, tokens.input - tokens.cacheRead - tokens.cacheWrite)
  const perMillion =
    fresh * price.input +
    tokens.cacheRead * (price.cacheRead ?? price.input) +
    tokens.cacheWrite * (price.cacheWrite ?? price.input) +
    tokens.output * price.output
  return perMillion / 1_000_000
}
