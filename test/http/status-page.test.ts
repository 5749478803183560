/** The status page at `/` for a browser; everyone else still gets the JSON. Plain HTTP: what is served, and to whom. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const PROXY_KEY = 'lmlb-status-page-key-3141'

let open: RunningLmlb
let keyed: RunningLmlb
beforeAll(async () => {
  ;[open, keyed] = await Promise.all([
    startLmlb(),
    startLmlb({ env: { PROXY_API_KEYS: PROXY_KEY, OPENAI_API_KEYS: 'sk-status-page-test-0001' } }),
  ])
})
afterAll(() => Promise.all([open.stop(), keyed.stop()]))

const page = (lmlb: RunningLmlb) => fetch(`${lmlb.url}/`, { headers: { accept: BROWSER_ACCEPT } })
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

describe('GET / for a browser', () => {
  test('one HTML page with a strict content-security-policy that admits its own script and style', async () => {
    const res = await page(open)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = res.headers.get('content-security-policy') ?? ''
    for (const directive of ["default-src 'none'", "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"])
      expect(csp).toContain(directive)
    expect(csp).not.toContain('unsafe-eval')
    const html = await res.text()
    expect(html.startsWith('<!doctype html>')).toBe(true)
    // One inline script and one inline style, each admitted by its hash (else the browser would run none of it).
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1])
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1])
    expect([scripts.length, styles.length]).toEqual([1, 1])
    expect(csp).toContain(`script-src ${sha256(scripts[0])}`)
    expect(csp).toContain(`style-src ${sha256(styles[0])}`)
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i)
  })

  test('self-contained: no external origin anywhere in it (no URL, no @import, no src/href off the page)', async () => {
    const html = await (await page(open)).text()
    expect(html).not.toMatch(/https?:\/\//i)
    expect(html).not.toMatch(/(^|[^a-z])\/\/[a-z0-9-]+\.[a-z]/i) // protocol-relative //host.tld
    expect(html).not.toMatch(/@import/i)
    expect(html).not.toMatch(/url\s*\(/i)
    expect(html).not.toMatch(/\s(src|href|action)\s*=/i)
    expect(html).not.toMatch(/<(link|iframe|img|object|embed|base)\b/i)
    // It holds no data: it learns everything from /stats and /health. (The script is the runtime's text of a function:
    // Bun prints double quotes, and the compiled binary renames the function that fetches.)
    expect(html).toContain('/stats?keys=')
    expect(html).toMatch(/\(["']\/health["']\)/)
  })

  test('the page is the same for every browser request and small', async () => {
    const [a, b] = await Promise.all([page(open).then((r) => r.text()), page(open).then((r) => r.text())])
    expect(a).toBe(b)
    expect(new TextEncoder().encode(a).length).toBeLessThan(48_000) // 40 KB until the Spend panel (issue 24): one page, under 50 KB uncompressed
  })
})

describe('GET / for everyone else: the JSON as before', () => {
  test('no Accept, */* or application/json: the JSON status', async () => {
    for (const headers of [{}, { accept: '*/*' }, { accept: 'application/json' }] as Record<string, string>[]) {
      const res = await fetch(`${open.url}/`, { headers })
      expect(res.headers.get('content-type')).toContain('application/json')
      const body = await res.json()
      expect(Object.keys(body)).toEqual(['name', 'version', 'status', 'services'])
      expect(body).toMatchObject({
        name: 'lmlb',
        status: 'running',
        services: { mock: { format: 'openai+anthropic', keys_configured: 0, endpoints: 0, ready: true } },
      })
    }
  })

  test("HEAD / (Claude Code's probe) is unchanged", async () => {
    const res = await fetch(`${open.url}/`, { method: 'HEAD', headers: { accept: BROWSER_ACCEPT } })
    expect(res.status).toBe(200)
  })
})

describe('with PROXY_API_KEYS', () => {
  test('the HTML is served without a key; it holds nothing of the configuration', async () => {
    const res = await page(keyed)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('id="keyform"')
    expect(html).not.toContain('openai')
    expect(html).not.toContain(PROXY_KEY)
  })

  test('/stats and detailed /health reveal nothing without the key, nor with a wrong one, not even to a browser', async () => {
    for (const headers of [{}, { accept: BROWSER_ACCEPT }, { 'x-api-key': `${PROXY_KEY}x` }, { authorization: 'Bearer nope' }] as Record<
      string,
      string
    >[]) {
      const stats = await fetch(`${keyed.url}/stats`, { headers })
      expect(stats.status).toBe(401)
      expect(await stats.text()).not.toContain('load_balancer_stats')
      expect(await (await fetch(`${keyed.url}/health`, { headers })).json()).toEqual({ status: 'healthy' })
    }
    // The JSON at / is not opened by the page's exception.
    expect((await fetch(`${keyed.url}/`)).status).toBe(401)
    expect((await fetch(`${keyed.url}/`, { headers: { accept: 'application/json' } })).status).toBe(401)
  })

  test('with the key, as the page sends it: /stats, the detailed /health and the JSON at /', async () => {
    for (const headers of [{ 'x-api-key': PROXY_KEY }, { authorization: `Bearer ${PROXY_KEY}` }] as Record<string, string>[]) {
      const stats = await fetch(`${keyed.url}/stats`, { headers: { accept: 'application/json', ...headers } })
      expect(stats.status).toBe(200)
      expect((await stats.json()).load_balancer_stats.openai.keys[0].key).not.toContain('sk-status-page-test-0001')
      const health = await (await fetch(`${keyed.url}/health`, { headers })).json()
      expect(health.config.loaded_at).toBeString()
      expect((await fetch(`${keyed.url}/`, { headers: { accept: 'application/json', ...headers } })).status).toBe(200)
    }
  })
})
