/**
 * The status page's script (status-page.ts serves the page): it polls
 * /stats and /health every 2 s with the proxy key kept in the tab's
 * sessionStorage, computes rates from successive polls, and builds the DOM
 * with textContent only (nothing from /stats is ever parsed as HTML). With
 * the admin key typed in (kept the same way), it offers to disable, enable,
 * check and delete each key it lists, and to add a batch of keys, through
 * the admin API, and shows a Spend panel (refreshed every 30 s from
 * /admin/usage and /admin/requests: today's and this month's cost by client
 * key and by model, 14 days of daily cost, the latest failed requests);
 * without it, the page only reads, and shows no spend.
 *
 * It runs in the browser, not here: status-page.ts embeds the source text of
 * each function in PAGE_FUNCTIONS, all inside one function called at once,
 * as the page's one inline script, and calls startStatusPage last. So these
 * functions name nothing outside their own bodies but each other (by name)
 * and the browser's globals: any other module-level value would not exist in
 * the page (the minifier of `bun build --compile` renames it, Deno keeps it as
 * written). They share no variable either: what the page holds between polls
 * is one PageState, which startStatusPage makes and hands to the functions
 * that read or change it, and its fixed figures are settings()'s. Types are
 * erased and may come from anywhere. test/status/page-script.test.ts checks
 * all of this.
 *
 * Its syntax stays within ES2018, as the page's script always did (no `?.`,
 * no `??`): what runs in the browser is this text, not a build's output
 * lowered for older browsers. The test checks that too.
 */
import type { HealthState } from '../balancer/health'
import type { AffinityFigures, HealthFigures, QuotaFigures, ServiceStats, SharedFigures, Stats, TargetStats } from '../observability/stats'

/** The detailed /health (status.ts `health`), as far as the page reads it. */
interface DetailedHealth {
  status: 'healthy' | 'unhealthy'
  uptime_seconds: number
  load_balancer: { services: Record<string, { ready: boolean }> }
  config: { loaded_at: string; last_error: { at: string; errors: string[] } | null }
}

/** Without the proxy key, /health says its status alone. */
type HealthBody = Pick<DetailedHealth, 'status'> & Partial<DetailedHealth>

/** An answer from lmlb: its status, and its body when that was JSON. */
interface Reply<T> {
  status: number
  body: T | null
}

/** Requests and errors: a target's or a service's running totals, or their rates. */
interface Tally {
  r: number
  e: number
}

/** One poll's running totals, by target (see targetId) and by service. */
interface Sample {
  t: number
  targets: Record<string, Tally>
  services: Record<string, Tally>
}

/** A service's requests and errors over one poll interval, from t0 to t1: a bar of its chart. */
interface Bar {
  t0: number
  t1: number
  r: number
  e: number
}

/** What the page holds between polls: the samples its rates and charts come from, the version it shows, its next poll. */
interface PageState {
  samples: Sample[]
  /** null: not asked yet (or the asking failed); '' while asking, or when lmlb named none. */
  version: string | null
  timer: ReturnType<typeof setTimeout> | undefined
  /** The key form is up: no polling until a key is entered. */
  locked: boolean
  /** The Spend panel's next refresh, and its latest asking (an older answer arriving late is dropped). */
  spendTimer: ReturnType<typeof setTimeout> | undefined
  spendAsked: number
}

/** A row of GET /admin/usage grouped by client_key or model, and day. */
interface UsageRow {
  client_key?: string
  model?: string
  day?: string
  requests: number
  cost_usd: number
  unpriced_requests: number
}
/** A client key's or a model's requests, cost and unpriced requests over a period (named as in UsageRow, so either adds to it). */
interface SpendSum {
  name: string
  requests: number
  cost_usd: number
  unpriced_requests: number
}
/** A request record as GET /admin/requests gives it, as far as the page reads it. */
interface RequestRecordView {
  at: string
  id: string
  client_key: string
  api: string
  method: string
  path: string
  model: string | null
  served: string | null
  key: string | null
  status: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_write_tokens: number
  cost_usd: number | null
  duration_ms: number
  ttfb_ms: number | null
  stream: boolean
  attempts: { key: string | null; endpoint: string; outcome: string }[]
}
/** A client key's budgets and spending, as GET /admin/usage gives them. */
interface BudgetView {
  client_key: string
  budget_usd_day: number | null
  budget_usd_month: number | null
  spent_usd_day: number
  spent_usd_month: number
  state: 'ok' | 'warning' | 'exceeded'
}
type ApiError = { error?: { message: string } }
type UsageReply = Reply<{ rows?: UsageRow[]; budgets?: BudgetView[] } & ApiError>
type RequestsReply = Reply<{ data?: RequestRecordView[] } & ApiError>

/** What an admin action on one key is: the route's last word, and how the button says it. */
type KeyAction = 'disable' | 'enable' | 'check' | 'delete'
/** Steers one key by its id, when the page holds the admin key (null: it holds none, the page only reads). */
type Manage = ((id: string, masked: string, action: KeyAction) => void) | null

type TargetKind = 'key' | 'endpoint'
/** An element's attributes; `text` is its textContent. */
type Attrs = { text?: string } & Record<string, string | number | null | undefined>
type Child = Node | string | number | null | undefined

/** The page's functions, its script once embedded (status-page.ts): startStatusPage starts it. */
export const PAGE_FUNCTIONS = [
  startStatusPage,
  settings,
  byId,
  el,
  svgNamespace,
  svg,
  storedKey,
  storeKey,
  get,
  replyOf,
  adminSend,
  keyActions,
  manageKey,
  showAdmin,
  submitAdminKey,
  forgetAdminKey,
  addBatch,
  fillServices,
  utcDay,
  fmtUsd,
  spendPoll,
  spendPolled,
  addSpend,
  spendSums,
  spendTable,
  spendPeriod,
  spendChart,
  failedRequest,
  budgetTable,
  renderSpend,
  fmtInt,
  fmtCompact,
  fmtRate,
  fmtMs,
  fmtDuration,
  fmtTime,
  errorTotal,
  errorKinds,
  targetId,
  snapshot,
  record,
  ratePerMinute,
  stateCell,
  latencyText,
  quotaText,
  errorsCell,
  targetRow,
  targetTable,
  chartBars,
  chartFrame,
  chart,
  chartLegend,
  serviceHead,
  affinityLine,
  keyStatesLine,
  serviceSection,
  render,
  renderHeader,
  renderConfig,
  renderServices,
  showProblem,
  lock,
  unlock,
  schedule,
  poll,
  polled,
  askVersion,
  submitKey,
  forgetKey,
]

// ---- start ----
export function startStatusPage(): void {
  const state: PageState = { samples: [], version: null, timer: undefined, locked: false, spendTimer: undefined, spendAsked: 0 }
  byId('keyform').addEventListener('submit', (event) => submitKey(state, event))
  byId('forget').addEventListener('click', () => forgetKey(state))
  byId('adminform').addEventListener('submit', (event) => submitAdminKey(state, event))
  byId('addkeys').addEventListener('submit', (event) => addBatch(state, event))
  byId('adminforget').addEventListener('click', () => forgetAdminKey(state))
  showAdmin()
  poll(state)
  spendPoll(state)
}

/** The page's fixed figures (a function: the page's functions share nothing but each other). */
function settings() {
  return {
    pollMs: 2000,
    timeoutMs: 5000,
    /** Rates are per minute over this window (or as much of it as the page has seen). */
    rateWindowMs: 60000,
    /** The charts' span, and how far back the page keeps samples. */
    historyMs: 5 * 60000,
    /** Where sessionStorage keeps the proxy key, and the admin key. */
    keySlot: 'lmlb.proxyKey',
    adminSlot: 'lmlb.adminKey',
    /** The keys of a service the page lists (`/stats?keys=`): the most notable; a pool of 10,000 would be a 10 MB poll. */
    keysListed: 100,
    /** The Spend panel: refreshed this often; its days charted; the client keys and models listed; the failed requests listed. */
    spendMs: 30000,
    spendDays: 14,
    spendTop: 10,
    failedListed: 10,
  }
}

// ---- the DOM ----
// The page's own elements (status-page.ts): each is there.
function byId<E extends HTMLElement = HTMLElement>(id: string): E {
  return document.getElementById(id) as E
}
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  const given: Attrs = attrs || {}
  for (const name in given) {
    const value = given[name]
    if (name === 'text') node.textContent = given.text || ''
    else if (value != null) node.setAttribute(name, String(value))
  }
  for (const child of children) {
    if (child == null) continue
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
  return node
}
/** The SVG namespace as the HTML parser gives it: the page spells out no URL at all. */
function svgNamespace(): string | null {
  const box = document.createElement('div')
  box.innerHTML = '<svg></svg>'
  return (box.firstChild as Element).namespaceURI
}
/** A chart's SVG, W × H, with its grid lines at the bottom and at TOP (both charts of the page). */
function chartFrame(ns: string | null, W: number, H: number, TOP: number, label: string): Element {
  const root = svg(ns, 'svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label })
  root.appendChild(svg(ns, 'line', { class: 'grid', x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5 }))
  root.appendChild(svg(ns, 'line', { class: 'grid', x1: 0, x2: W, y1: TOP, y2: TOP }))
  return root
}
function svg(ns: string | null, tag: string, attrs: Record<string, string | number>): Element {
  const node = document.createElementNS(ns, tag)
  for (const name in attrs) node.setAttribute(name, String(attrs[name]))
  return node
}

// ---- the key, and lmlb's answers ----
function storedKey(slot?: string): string {
  try {
    return sessionStorage.getItem(slot || settings().keySlot) || ''
  } catch (e) {
    return ''
  }
}
function storeKey(key: string, slot?: string): void {
  slot = slot || settings().keySlot
  try {
    if (key) sessionStorage.setItem(slot, key)
    else sessionStorage.removeItem(slot)
  } catch (e) {}
}

function get<T>(path: string): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const key = storedKey()
  if (key) headers['x-api-key'] = key
  const abort = new AbortController()
  const timeout = setTimeout(() => abort.abort(), settings().timeoutMs)
  return fetch(path, { headers, cache: 'no-store', credentials: 'omit', signal: abort.signal })
    .then((res) => replyOf<T>(res))
    .finally(() => clearTimeout(timeout))
}
/** An answer's status, and its body where that is JSON. */
function replyOf<T>(res: Response): Promise<Reply<T>> {
  return res.text().then((text) => {
    let body: T | null = null
    try {
      body = JSON.parse(text)
    } catch (e) {}
    return { status: res.status, body }
  })
}

// ---- figures ----
function fmtInt(n: number | null | undefined): string {
  return typeof n === 'number' ? Math.round(n).toLocaleString('en-US') : '\u2014'
}
function fmtCompact(n: number | null | undefined): string {
  if (typeof n !== 'number') return '\u2014'
  const a = Math.abs(n)
  if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 0 : 1)}G`
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`
  if (a >= 1e4) return `${(n / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`
  return fmtInt(n)
}
function fmtRate(r: number | null): string {
  return r == null ? '\u2014' : r >= 100 ? fmtInt(r) : r >= 10 ? r.toFixed(1) : r.toFixed(r === 0 ? 0 : 2)
}
function fmtMs(ms: number): string {
  return ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${Math.round(ms)} ms` : `${Math.round(ms * 10) / 10} ms`
}
function fmtDuration(ms: number): string {
  const s = Math.ceil(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${m % 60} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}
function fmtTime(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString()
}
function errorTotal(errors: Record<string, number> | undefined): number {
  let n = 0
  for (const k in errors || {}) n += (errors as Record<string, number>)[k]
  return n
}
function errorKinds(errors: Record<string, number> | undefined): string {
  const all = errors || {}
  return Object.keys(all)
    .sort()
    .map((k) => `${k} ${all[k]}`)
    .join(', ')
}

/** A call to the admin API with the admin key: its status, and its JSON body; given `timeoutMs`, abandoned after it. */
function adminSend<T>(method: string, path: string, body?: object, timeoutMs?: number): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-api-key': storedKey(settings().adminSlot) }
  if (body) headers['content-type'] = 'application/json'
  const abort = new AbortController()
  const timeout = timeoutMs ? setTimeout(() => abort.abort(), timeoutMs) : undefined
  const init = {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store' as const,
    credentials: 'omit' as const,
    signal: abort.signal,
  }
  return fetch(path, init)
    .then((res) => replyOf<T>(res))
    .finally(() => clearTimeout(timeout))
}

// ---- keys steered through the admin API ----
/** A key row's buttons: disable or enable, check, and delete for a key added through the admin API. */
function keyActions(manage: Manage, k: ServiceStats['keys'][number]): HTMLTableCellElement {
  const cell = el('td', { class: 'manage' })
  if (!manage) return cell
  const disabled = k.health && k.health.state === 'disabled'
  const actions: KeyAction[] = [disabled ? 'enable' : 'disable', 'check']
  if (k.source === 'admin') actions.push('delete')
  for (const action of actions) {
    const button = el('button', { type: 'button', 'data-action': action, text: action })
    button.addEventListener('click', () => manage(k.id, k.key, action))
    cell.appendChild(button)
  }
  return cell
}
function manageKey(state: PageState, id: string, masked: string, action: KeyAction): void {
  const path = `/admin/keys/${encodeURIComponent(id)}${action === 'delete' ? '' : `/${action}`}`
  const msg = byId('adminmsg')
  msg.textContent = `${action} ${masked}\u2026`
  adminSend<{ check?: { ok: boolean; status: number | null; message: string }; error?: { message: string } }>(
    action === 'delete' ? 'DELETE' : 'POST',
    path,
  ).then(
    (r) => {
      if (r.status === 401 || r.status === 404) return forgetAdminKey(state, (r.body && r.body.error && r.body.error.message) || '')
      const b = r.body
      if (r.status !== 200) msg.textContent = `${action} ${masked}: ${(b && b.error && b.error.message) || r.status}`
      else if (b && b.check)
        msg.textContent = `check ${masked}: ${b.check.ok ? 'passed' : 'failed'} (${b.check.status || 'no answer'}) ${b.check.ok ? '' : b.check.message}`
      else msg.textContent = `${masked}: ${action === 'delete' ? 'deleted' : `${action}d`}`
      poll(state)
    },
    (e: { message?: string } | null) => {
      msg.textContent = `${action} ${masked}: ${(e && e.message) || e}`
    },
  )
}
/** The admin key form while the page holds none; the batch form while it holds one. */
function showAdmin(): void {
  const admin = !!storedKey(settings().adminSlot)
  byId('adminform').hidden = admin
  byId('addkeys').hidden = !admin
}
function submitAdminKey(state: PageState, event: Event): void {
  event.preventDefault()
  const input = byId<HTMLInputElement>('adminkey')
  const key = input.value.trim()
  if (!key) {
    byId('adminerror').textContent = 'Enter LMLB_ADMIN_KEY.'
    return
  }
  input.value = ''
  byId('adminerror').textContent = 'Checking\u2026'
  storeKey(key, settings().adminSlot)
  adminSend<{ error?: { message: string } }>('GET', '/admin/keys?limit=1').then((r) => {
    if (r.status !== 200) return forgetAdminKey(state, (r.body && r.body.error && r.body.error.message) || `lmlb answered ${r.status}`)
    byId('adminerror').textContent = ''
    showAdmin()
    poll(state)
    spendPoll(state)
  })
}
function forgetAdminKey(state: PageState, why?: string): void {
  storeKey('', settings().adminSlot)
  byId('adminerror').textContent = why || ''
  byId('adminmsg').textContent = ''
  showAdmin()
  poll(state)
  spendPoll(state)
}
function addBatch(state: PageState, event: Event): void {
  event.preventDefault()
  const text = byId<HTMLTextAreaElement>('addtext')
  const keys = text.value.split('\n').filter((line) => line.trim() !== '')
  const msg = byId('adminmsg')
  if (!keys.length) {
    msg.textContent = 'Paste one key a line.'
    return
  }
  const service = byId<HTMLSelectElement>('addservice').value
  const check = byId<HTMLInputElement>('addcheck').checked
  msg.textContent = `adding ${keys.length} key(s) to ${service}\u2026`
  type Added = { added?: string[]; duplicates?: number; invalid?: number[]; error?: { message: string } }
  adminSend<Added>('POST', '/admin/keys', { service, keys, check }).then((r) => {
    if (r.status === 401 || r.status === 404) return forgetAdminKey(state, (r.body && r.body.error && r.body.error.message) || '')
    const b = r.body || {}
    if (!b.added) {
      msg.textContent = `not added: ${(b.error && b.error.message) || r.status}`
      return
    }
    text.value = ''
    const invalid = b.invalid && b.invalid.length ? `; not keys: line(s) ${b.invalid.join(', ')}` : ''
    msg.textContent = `${service}: ${b.added.length} added${check ? ' (each checked before it serves)' : ''}, ${b.duplicates || 0} already there${invalid}`
    poll(state)
  })
}
/** The batch form's services, as /stats lists them (the one chosen stays chosen). */
function fillServices(names: string[]): void {
  const select = byId<HTMLSelectElement>('addservice')
  const chosen = select.value
  if (Array.prototype.map.call(select.options, (o: HTMLOptionElement) => o.value).join() === names.join()) return
  select.textContent = ''
  for (const name of names) select.appendChild(el('option', { value: name, text: name }))
  if (names.indexOf(chosen) >= 0) select.value = chosen
}

// ---- spend: the admin API's usage and request records, while the page holds the admin key ----
/** A time's day in UTC, as /admin/usage names days: YYYY-MM-DD. */
function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10)
}
function fmtUsd(n: number | null | undefined): string {
  if (typeof n !== 'number') return '\u2014'
  if (n > 0 && n < 0.0001) return '< $0.0001'
  if (n < 1) return `$${n.toFixed(4)}`
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
}
/**
 * Asks for the Spend panel's figures, then again in spendMs; without the admin key, hides the panel and asks nothing.
 * Two usage calls, by client key and day and by model and day, from the earlier of this month's first day and the
 * chart's first, to today (whole days: lmlb answers from its daily totals): today, this month and each charted day are
 * sums of their rows. Then the latest failed requests, 5xx and 4xx, newest first.
 */
function spendPoll(state: PageState): void {
  clearTimeout(state.spendTimer)
  const { adminSlot, spendDays, spendMs, failedListed, timeoutMs } = settings()
  const asked = ++state.spendAsked
  // Not behind the proxy-key form either: the dashboard it would sit in is hidden then.
  const admin = !!storedKey(adminSlot) && !state.locked
  byId('spend').hidden = !admin
  if (!admin) {
    byId('spendbody').textContent = ''
    byId('spendmsg').textContent = ''
    return
  }
  const now = Date.now()
  const today = utcDay(now)
  const month = `${today.slice(0, 8)}01`
  const first = utcDay(now - (spendDays - 1) * 86400000)
  const from = first < month ? first : month
  const usage = (by: string): Promise<UsageReply> =>
    adminSend('GET', `/admin/usage?from=${from}&to=${today}&group_by=${by},day`, undefined, timeoutMs)
  const failed = (status: string): Promise<RequestsReply> =>
    adminSend('GET', `/admin/requests?status=${status}&limit=${failedListed}`, undefined, timeoutMs)
  const again = () => {
    if (asked === state.spendAsked) state.spendTimer = setTimeout(() => spendPoll(state), spendMs)
  }
  Promise.all([usage('client_key'), usage('model'), failed('5xx'), failed('4xx')])
    .then(
      (replies) => {
        if (asked === state.spendAsked) spendPolled(state, replies[0], replies[1], [replies[2], replies[3]], { today, month, first })
      },
      (e: { name?: string; message?: string } | null | undefined) => {
        if (asked !== state.spendAsked) return
        const why = e && e.name === 'AbortError' ? 'timed out' : (e && e.message) || e
        byId('spendmsg').textContent = `lmlb did not answer (${why}): showing the last figures it gave`
      },
    )
    .then(again, again)
}
/** What one asking brought: the figures, or why there are none (a refused admin key is forgotten). */
function spendPolled(
  state: PageState,
  byClient: UsageReply,
  byModel: UsageReply,
  failed: RequestsReply[],
  days: { today: string; month: string; first: string },
): void {
  const replies: Reply<ApiError>[] = [byClient, byModel].concat(failed as Reply<ApiError>[])
  for (const r of replies)
    if (r.status === 401 || r.status === 404) return forgetAdminKey(state, (r.body && r.body.error && r.body.error.message) || '')
  const msg = byId('spendmsg')
  for (const r of replies)
    if (r.status !== 200 || !r.body) {
      msg.textContent = `spend: ${(r.body && r.body.error && r.body.error.message) || `lmlb answered ${r.status}`}`
      return
    }
  msg.textContent = ''
  let records: RequestRecordView[] = []
  for (const r of failed) records = records.concat((r.body && r.body.data) || [])
  records.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
  const rows = (r: UsageReply) => (r.body && r.body.rows) || []
  renderSpend(
    rows(byClient),
    rows(byModel),
    records.slice(0, settings().failedListed),
    days,
    (byClient.body && byClient.body.budgets) || [],
  )
}
/** Adds a row's (or a sum's) figures to `into`, and returns it. */
function addSpend(into: SpendSum, r: UsageRow | SpendSum): SpendSum {
  into.requests += r.requests
  into.cost_usd += r.cost_usd
  into.unpriced_requests += r.unpriced_requests
  return into
}
/** Rows of `field` (client_key or model) from day `since` on, summed by name, the costliest first. */
function spendSums(rows: UsageRow[], field: 'client_key' | 'model', since: string): SpendSum[] {
  const by: Record<string, SpendSum> = {}
  for (const r of rows) {
    const name = String(r[field])
    if (r.day && r.day >= since) addSpend(by[name] || (by[name] = { name, requests: 0, cost_usd: 0, unpriced_requests: 0 }), r)
  }
  return Object.keys(by)
    .map((name) => by[name])
    .sort((a, b) => b.cost_usd - a.cost_usd || b.requests - a.requests || (a.name < b.name ? -1 : 1))
}
/** A period's sums by client key or by model: the spendTop costliest, then the rest in one row. */
function spendTable(label: string, by: 'client_key' | 'model', sums: SpendSum[]): HTMLElement {
  const top = settings().spendTop
  const body = el('tbody')
  const row = (s: SpendSum, more?: boolean) =>
    el(
      'tr',
      { 'data-name': more ? null : s.name, class: more ? 'more' : null },
      el('td', { class: by === 'client_key' ? 'id' : 'name', title: s.name, text: s.name }),
      el('td', { class: 'requests', text: fmtInt(s.requests) }),
      el(
        'td',
        { class: 'cost' },
        fmtUsd(s.cost_usd),
        s.unpriced_requests ? el('span', { class: 'small unpriced', text: ` + ${fmtInt(s.unpriced_requests)} unpriced` }) : null,
      ),
    )
  sums.slice(0, top).forEach((s) => body.appendChild(row(s)))
  const rest = sums.slice(top)
  if (rest.length)
    body.appendChild(row(rest.reduce(addSpend, { name: `${rest.length} more`, requests: 0, cost_usd: 0, unpriced_requests: 0 }), true))
  if (!sums.length) body.appendChild(el('tr', null, el('td', { colspan: 3, class: 'small', text: 'no requests' })))
  const head = el('tr', null, el('th', { text: label }), el('th', { text: 'requests' }), el('th', { text: 'cost (USD)' }))
  return el('div', { class: 'tablewrap', 'data-by': by }, el('table', null, el('thead', null, head), body))
}
/** Client keys with a budget: spent of budget today and this month, and a pill past the warning share or the budget. */
function budgetTable(budgets: BudgetView[]): HTMLElement {
  const of = (spent: number, budget: number | null) => (budget === null ? '\u2014' : `${fmtUsd(spent)} of ${fmtUsd(budget)}`)
  const pill = { ok: 'healthy', warning: 'cooling', exceeded: 'disabled' }
  const rows = budgets.map((b) =>
    el(
      'tr',
      { 'data-name': b.client_key },
      el('td', { class: 'id', text: b.client_key }),
      el('td', { class: 'day', text: of(b.spent_usd_day, b.budget_usd_day) }),
      el('td', { class: 'month', text: of(b.spent_usd_month, b.budget_usd_month) }),
      el('td', null, el('span', { class: `pill ${pill[b.state]}`, text: b.state })),
    ),
  )
  const head = el(
    'tr',
    null,
    el('th', { text: 'client key' }),
    el('th', { text: 'today' }),
    el('th', { text: 'this month' }),
    el('th', { text: 'budget' }),
  )
  return el(
    'div',
    { class: 'tablewrap budgets' },
    el('h3', { text: 'Budgets' }),
    el('table', null, el('thead', null, head), el('tbody', null, ...rows)),
  )
}
/** Today's or this month's total, then its sums by client key and by model. */
function spendPeriod(period: string, title: string, byClient: UsageRow[], byModel: UsageRow[], since: string): HTMLElement {
  const clients = spendSums(byClient, 'client_key', since)
  const total = clients.reduce(addSpend, { name: '', requests: 0, cost_usd: 0, unpriced_requests: 0 })
  return el(
    'div',
    { class: 'period', 'data-period': period },
    el('h3', { text: title }),
    el(
      'div',
      { class: 'meta' },
      el('b', { class: 'total', text: fmtUsd(total.cost_usd) }),
      el('span', { class: 'count', text: ` \u00b7 ${fmtInt(total.requests)} request(s)` }),
      total.unpriced_requests ? el('span', { class: 'unpriced', text: ` \u00b7 ${fmtInt(total.unpriced_requests)} unpriced` }) : null,
    ),
    spendTable('client key', 'client_key', clients),
    spendTable('model', 'model', spendSums(byModel, 'model', since)),
  )
}
/** Each day's cost from `first` to `today` (UTC), a bar each; a day without a row is zero. */
function spendChart(rows: UsageRow[], first: string, today: string): HTMLElement {
  const W = 600
  const H = 70
  const TOP = 6
  const days: string[] = []
  const cost: Record<string, number> = {}
  for (let t = Date.parse(`${first}T00:00:00Z`); utcDay(t) <= today; t += 86400000) {
    days.push(utcDay(t))
    cost[utcDay(t)] = 0
  }
  for (const r of rows) if (r.day && r.day in cost) cost[r.day] += r.cost_usd
  let max = 0
  for (const d of days) max = Math.max(max, cost[d])
  const ns = svgNamespace()
  const root = chartFrame(ns, W, H, TOP, `cost per day (UTC), ${first} to ${today}`)
  const slot = W / days.length
  days.forEach((d, i) => {
    const h = max ? ((H - TOP) * cost[d]) / max : 0
    const bar = svg(ns, 'rect', { class: 'req', 'data-day': d, x: i * slot + 1, width: slot - 2, y: H - h, height: h })
    bar.appendChild(svg(ns, 'title', {})).textContent = `${d}: ${fmtUsd(cost[d])}`
    root.appendChild(bar)
  })
  return el(
    'div',
    { class: 'daily' },
    root,
    el(
      'div',
      { class: 'legend' },
      `cost per day (UTC), ${first} to ${today}:`,
      el('i', { class: 'r' }),
      'cost',
      el('span', { class: 'max', text: `tallest bar: ${fmtUsd(max)}` }),
    ),
  )
}
/** A failed request: a line (time, status, model, what served it, client key) that opens on its record. */
function failedRequest(r: RequestRecordView): HTMLElement {
  const fields: [string, string][] = [
    ['request id', r.id],
    ['at', r.at],
    ['client key', r.client_key],
    ['request', `${r.api} \u00b7 ${r.method} ${r.path}${r.stream ? ' \u00b7 stream' : ''}`],
    ['model asked', r.model || '\u2014'],
    ['served by', r.served || '\u2014'],
    ['upstream key id', r.key || '\u2014'],
    ['status', String(r.status)],
    ['tokens in / out', `${fmtInt(r.input_tokens)} / ${fmtInt(r.output_tokens)}`],
    ['cached read / write', `${fmtInt(r.cache_read_tokens)} / ${fmtInt(r.cache_write_tokens)}`],
    ['cost', r.cost_usd != null ? fmtUsd(r.cost_usd) : r.served ? 'unpriced' : '\u2014'],
    ['time', `${r.ttfb_ms == null ? '' : `first byte ${fmtMs(r.ttfb_ms)} \u00b7 `}total ${fmtMs(r.duration_ms)}`],
  ]
  const attempts = r.attempts || []
  if (!attempts.length) fields.push(['attempts', 'none: lmlb answered itself'])
  attempts.forEach((a, i) => fields.push([`attempt ${i + 1}`, `${a.key || 'no key'} @ ${a.endpoint} \u2192 ${a.outcome}`]))
  const body = el('tbody')
  for (const f of fields) body.appendChild(el('tr', { 'data-field': f[0] }, el('th', { text: f[0] }), el('td', { text: f[1] })))
  return el(
    'details',
    { class: 'failed', 'data-id': r.id },
    el(
      'summary',
      null,
      el('span', { class: 'when', text: fmtTime(r.at) }),
      el('span', { class: 'pill down status', text: String(r.status) }),
      el('span', { class: 'model', text: `${r.model || '\u2014'} \u2192 ${r.served || '\u2014'}` }),
      el('span', { class: 'client small', text: `client key ${r.client_key}` }),
    ),
    el('table', { class: 'record' }, body),
  )
}
/** The Spend panel, anew (a failed request opened stays open): today and this month side by side, the daily chart, the latest failed requests. */
function renderSpend(
  byClient: UsageRow[],
  byModel: UsageRow[],
  failed: RequestRecordView[],
  days: { today: string; month: string; first: string },
  budgets: BudgetView[],
): void {
  if (!storedKey(settings().adminSlot)) return
  const body = byId('spendbody')
  const open: Record<string, boolean> = {}
  Array.prototype.forEach.call(body.querySelectorAll('details[open]'), (d: Element) => {
    open[d.getAttribute('data-id') || ''] = true
  })
  body.textContent = ''
  body.appendChild(
    el(
      'div',
      { class: 'spendgrid' },
      spendPeriod('today', `Today (${days.today}, UTC)`, byClient, byModel, days.today),
      spendPeriod('month', `This month (since ${days.month})`, byClient, byModel, days.month),
    ),
  )
  if (budgets.length) body.appendChild(budgetTable(budgets))
  body.appendChild(spendChart(byClient, days.first, days.today))
  body.appendChild(el('h3', { text: `Latest failed requests (${failed.length})` }))
  const list = el('div', { class: 'failedlist' })
  for (const r of failed) {
    const item = failedRequest(r)
    if (open[r.id]) item.setAttribute('open', '')
    list.appendChild(item)
  }
  if (!failed.length) list.appendChild(el('div', { class: 'meta', text: 'none in the records kept' }))
  body.appendChild(list)
  byId('spendmeta').textContent = `updated ${new Date().toLocaleTimeString()}`
}

// ---- history: cumulative counters from each poll, rates from their differences ----
/** A key by its id (the list is the most notable keys, in an order that changes), an endpoint by its place. */
function targetId(service: string, kind: TargetKind, index: number | string, name: string): string {
  return `${service}|${kind}|${index}|${name}`
}
/** This poll's running totals: each key's and endpoint's, and each service's (the sum of its endpoints'). */
function snapshot(stats: Stats): Sample {
  const snap: Sample = { t: Date.now(), targets: {}, services: {} }
  const services = stats.load_balancer_stats || {}
  for (const name in services) {
    const svc = services[name]
    const sum: Tally = { r: 0, e: 0 }
    const keys = svc.keys || []
    keys.forEach((k) => {
      snap.targets[targetId(name, 'key', k.id, k.key)] = { r: k.requests, e: errorTotal(k.errors) }
    })
    const endpoints = svc.endpoint_stats || []
    endpoints.forEach((ep, i) => {
      const r = ep.requests
      const e = errorTotal(ep.errors)
      snap.targets[targetId(name, 'endpoint', i, ep.url)] = { r, e }
      sum.r += r
      sum.e += e
    })
    snap.services[name] = sum
  }
  return snap
}
function record(state: PageState, stats: Stats): void {
  const { pollMs, historyMs } = settings()
  const snap = snapshot(stats)
  const last = state.samples[state.samples.length - 1]
  // Counters went back: lmlb restarted. What came before says nothing of now.
  if (last)
    for (const s in snap.services)
      if (last.services[s] && snap.services[s].r < last.services[s].r) {
        state.samples = []
        break
      }
  state.samples.push(snap)
  while (state.samples.length > 2 && state.samples[0].t < snap.t - historyMs - pollMs) state.samples.shift()
}
/** Per minute over the last rateWindowMs (or as much of it as the page has seen). */
function ratePerMinute(samples: Sample[], id: string): Tally | null {
  const { pollMs, rateWindowMs } = settings()
  const now = samples[samples.length - 1]
  if (!now || samples.length < 2) return null
  let base: Sample | null = null
  for (let i = 0; i < samples.length - 1; i++)
    if (samples[i].t >= now.t - rateWindowMs - pollMs / 2 && samples[i].targets[id]) {
      base = samples[i]
      break
    }
  if (!base || !now.targets[id] || now.t <= base.t) return null
  const minutes = (now.t - base.t) / 60000
  const a = base.targets[id]
  const b = now.targets[id]
  return { r: Math.max(0, b.r - a.r) / minutes, e: Math.max(0, b.e - a.e) / minutes }
}

// ---- a service's table ----
function stateCell(health: HealthFigures | undefined, kind: TargetKind): HTMLTableCellElement {
  const st: HealthState | 'unknown' = (health && health.state) || 'unknown'
  let label: string = st
  if (st === 'cooling') label = `cooling \u00b7 ${fmtDuration((health && health.cooldown_remaining_ms) || 0)} left`
  else if (st === 'disabled') label = 'disabled'
  else if (st === 'probing') label = 'probing'
  const pill = el('span', { class: `pill ${st}`, 'data-state': st, text: label })
  if (health && health.consecutive_failures) pill.title = `${health.consecutive_failures} consecutive failure(s)`
  return el('td', { class: 'state' }, pill)
}
function latencyText(t: TargetStats): string {
  const l = t.latency_ms
  if (l && typeof l.p50 === 'number' && typeof l.p95 === 'number') return `p50 ${fmtMs(l.p50)} \u00b7 p95 ${fmtMs(l.p95)}`
  return t.finished ? `avg ${fmtMs(t.avg_latency_ms || 0)}` : '\u2014'
}
function quotaText(q: QuotaFigures | undefined): string {
  if (!q) return ''
  const parts: string[] = []
  if (q.remaining_requests != null) parts.push(`${fmtCompact(q.remaining_requests)} req`)
  if (q.remaining_tokens != null) parts.push(`${fmtCompact(q.remaining_tokens)} tok`)
  return parts.length ? parts.join(' \u00b7 ') : '\u2014'
}
function errorsCell(errors: Record<string, number> | undefined): HTMLTableCellElement {
  const total = errorTotal(errors)
  const cell = el('td', { class: 'errors' }, el('span', { class: total ? 'nonzero' : '', text: fmtInt(total) }))
  if (total) {
    cell.appendChild(el('br'))
    cell.appendChild(el('span', { class: 'small', text: errorKinds(errors) }))
  }
  return cell
}
/** One key's or endpoint's row; `name` is the key (masked) or the endpoint's URL, `rate` its ratePerMinute; `actions`, a key's buttons. */
function targetRow(
  kind: TargetKind,
  name: string,
  t: TargetStats,
  rate: Tally | null,
  quota?: QuotaFigures,
  actions?: HTMLTableCellElement,
): HTMLTableRowElement {
  return el(
    'tr',
    { 'data-kind': kind, 'data-id': name },
    el('td', { class: 'id', title: name, text: name }),
    stateCell(t.health, kind),
    el('td', { class: 'rpm', text: rate ? fmtRate(rate.r) : '\u2014' }),
    el('td', { class: 'epm' }, el('span', { class: rate && rate.e > 0 ? 'nonzero' : '', text: rate ? fmtRate(rate.e) : '\u2014' })),
    el('td', { class: 'inflight', text: fmtInt(t.in_flight) }),
    el('td', { class: 'requests', text: fmtInt(t.requests) }),
    errorsCell(t.errors),
    el('td', { class: 'latency', text: latencyText(t) }),
    el('td', { class: 'tokens', text: `${fmtCompact(t.tokens_in)} / ${fmtCompact(t.tokens_out)}` }),
    el('td', { class: 'cached', text: `${fmtCompact(t.cache_read_tokens)} / ${fmtCompact(t.cache_write_tokens)}` }),
    el('td', { class: 'quota', text: kind === 'key' ? quotaText(quota) : '' }),
    actions || null,
  )
}
/** The service's keys (the most notable, when it has more than the page lists), then its endpoints, a row each under a column heading. */
function targetTable(samples: Sample[], service: string, svc: ServiceStats, manage: Manage): HTMLElement {
  const keys = svc.keys || []
  const endpoints = svc.endpoint_stats || []
  const rate = (kind: TargetKind, index: number | string, name: string) => ratePerMinute(samples, targetId(service, kind, index, name))
  const body = el('tbody')
  const group = (label: string) => el('tr', { class: 'group' }, el('td', { colspan: manage ? 12 : 11, text: label }))
  const listed = svc.keys_listed
    ? `keys (${fmtInt(svc.keys_listed)} of ${fmtInt(svc.keys_count)}: disabled, then cooling, then the busiest)`
    : `keys (${keys.length})`
  body.appendChild(group(listed))
  keys.forEach((k) => {
    body.appendChild(targetRow('key', k.key, k, rate('key', k.id, k.key), k.quota, manage ? keyActions(manage, k) : undefined))
  })
  body.appendChild(group(`endpoints (${endpoints.length})`))
  endpoints.forEach((ep, i) => {
    body.appendChild(targetRow('endpoint', ep.url, ep, rate('endpoint', i, ep.url)))
  })
  const headRow = el('tr')
  const columns = [
    'key / endpoint',
    'state',
    'req/min',
    'err/min',
    'in flight',
    'requests',
    'errors',
    'latency',
    'tokens in / out',
    'cached read / write',
    'quota left',
  ]
  if (manage) columns.push('manage')
  for (const h of columns) headRow.appendChild(el('th', { text: h }))
  return el('div', { class: 'tablewrap' }, el('table', null, el('thead', null, headRow), body))
}

// ---- a service's chart ----
/** The service's requests and errors in each poll interval that ends after `start`. */
function chartBars(samples: Sample[], service: string, start: number): Bar[] {
  const bars: Bar[] = []
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1].services[service]
    const b = samples[i].services[service]
    if (!a || !b || samples[i].t < start) continue
    bars.push({ t0: Math.max(samples[i - 1].t, start), t1: samples[i].t, r: Math.max(0, b.r - a.r), e: Math.max(0, b.e - a.e) })
  }
  return bars
}
function chart(samples: Sample[], service: string): { svg: Element; max: number; minutes: number } {
  // The last 5 minutes; a page opened a moment ago shows the minute it has seen so far, not an empty chart.
  const W = 600
  const H = 70
  const TOP = 6
  const now = samples.length ? samples[samples.length - 1].t : Date.now()
  const span = Math.min(settings().historyMs, Math.max(60000, samples.length ? now - samples[0].t : 0))
  const start = now - span
  const bars = chartBars(samples, service, start)
  let max = 1
  for (const b of bars) max = Math.max(max, b.r, b.e)
  const ns = svgNamespace()
  const root = chartFrame(ns, W, H, TOP, 'requests and errors per poll interval, last 5 minutes')
  const x = (t: number) => ((t - start) / span) * W
  const y = (n: number) => ((H - TOP) * n) / max
  for (const b of bars) {
    const x0 = x(b.t0)
    const w = Math.max(1, x(b.t1) - x0 - 1)
    if (b.r) root.appendChild(svg(ns, 'rect', { class: 'req', x: x0, width: w, y: H - y(b.r), height: y(b.r) }))
    if (b.e) root.appendChild(svg(ns, 'rect', { class: 'err', x: x0, width: w, y: H - y(b.e), height: y(b.e) }))
  }
  return { svg: root, max, minutes: Math.round(span / 60000) }
}
function chartLegend(drawn: { max: number; minutes: number }): HTMLElement {
  return el(
    'div',
    { class: 'legend' },
    `per ${settings().pollMs / 1000} s interval, last ${drawn.minutes} min:`,
    el('i', { class: 'r' }),
    'requests',
    el('i', { class: 'e' }),
    'errors',
    el('span', { class: 'max', text: `tallest bar: ${drawn.max}` }),
  )
}

// ---- a service ----
function serviceHead(name: string, svc: ServiceStats, ready: boolean | null): HTMLElement {
  const keys = svc.keys || []
  return el(
    'div',
    { class: 'svchead' },
    el('h2', { text: name }),
    el('span', { class: 'pill tag', text: `format ${svc.format}` }),
    el('span', { class: 'pill tag', text: svc.strategy }),
    keys.length === 0
      ? el('span', { class: 'pill tag', text: 'no keys configured' })
      : ready == null
        ? null
        : el('span', { class: `pill ${ready ? 'healthy' : 'down'}`, 'data-ready': String(ready), text: ready ? 'ready' : 'not ready' }),
  )
}
/** How many keys are active, cooling, disabled: the whole pool, whatever the table lists. */
function keyStatesLine(svc: ServiceStats): HTMLElement {
  const s = svc.key_states
  if (!s) return el('div', { class: 'meta' })
  return el('div', {
    class: 'meta keystates',
    text: `${fmtInt(svc.keys_count)} key(s): ${fmtInt(s.active)} active \u00b7 ${fmtInt(s.cooling)} cooling \u00b7 ${fmtInt(s.disabled)} disabled`,
  })
}
function affinityLine(affinity: AffinityFigures | undefined): HTMLElement {
  const a: Partial<AffinityFigures> = affinity || {}
  let repins = 0
  for (const why in a.repins || {}) repins += (a.repins as Record<string, number>)[why]
  return el(
    'div',
    { class: 'meta' },
    `affinity: ${a.mode || 'off'} \u00b7 `,
    el('b', { class: 'pinned', text: fmtInt(a.pinned_sessions || 0) }),
    ` pinned session(s) \u00b7 ${fmtInt(a.hits || 0)} hits \u00b7 ${fmtInt(a.new_pins || 0)} new pins \u00b7 ${fmtInt(repins)} repins`,
  )
}
function serviceSection(samples: Sample[], name: string, svc: ServiceStats, ready: boolean | null, manage: Manage): HTMLElement {
  const keys = svc.keys || []
  const endpoints = svc.endpoint_stats || []
  const head = serviceHead(name, svc, ready)
  // A built-in service without keys serves nothing: one line, not an empty table.
  if (keys.length === 0) {
    return el(
      'section',
      { class: 'svc idle', 'data-service': name },
      head,
      el('div', { class: 'meta', text: `${endpoints.length} endpoint(s), no key: lmlb sends nothing here until it has one` }),
    )
  }
  const drawn = chart(samples, name)
  return el(
    'section',
    { class: 'svc', 'data-service': name },
    head,
    affinityLine(svc.affinity),
    keyStatesLine(svc),
    drawn.svg,
    chartLegend(drawn),
    targetTable(samples, name, svc, manage),
  )
}

// ---- the page ----
function render(state: PageState, stats: Stats, health: HealthBody | null, healthStatus: number): void {
  const detailed = health && health.load_balancer ? (health as DetailedHealth) : null
  const status = (health && health.status) || (healthStatus === 200 ? 'healthy' : 'unhealthy')
  renderHeader(state.version, stats, detailed, status)
  renderConfig(detailed, stats.shared)
  const manage: Manage = storedKey(settings().adminSlot) ? (id, masked, action) => manageKey(state, id, masked, action) : null
  renderServices(state.samples, stats, detailed, manage)
}
function renderHeader(version: string | null, stats: Stats, detailed: DetailedHealth | null, status: string): void {
  const pill = byId('status')
  pill.className = `pill ${status === 'healthy' ? 'healthy' : 'unhealthy'}`
  pill.textContent = status
  pill.hidden = false
  byId('version').textContent = version ? `v${version}` : ''
  const bits = [`workers ${stats.workers || 1}`]
  const shared = stats.shared
  if (shared)
    bits.push(
      shared.redis === 'connected' && shared.instances
        ? `Redis connected, ${shared.instances}${shared.instances === 1 ? ' instance' : ' instances'} sharing state`
        : `Redis ${shared.redis}`,
    )
  if (detailed && typeof detailed.uptime_seconds === 'number') bits.push(`up ${fmtDuration(detailed.uptime_seconds * 1000)}`)
  bits.push(`updated ${new Date().toLocaleTimeString()}`)
  byId('meta').textContent = bits.join(' \u00b7 ')
}
function renderConfig(detailed: DetailedHealth | null, shared: SharedFigures | undefined): void {
  const config = byId('config')
  config.textContent = ''
  if (!detailed || !detailed.config) return
  config.appendChild(el('span', { class: 'loaded' }, `configuration loaded ${fmtTime(detailed.config.loaded_at)}`))
  if (shared && shared.redis === 'unreachable')
    config.appendChild(
      el('div', {
        class: 'banner redis-down',
        text: 'Redis unreachable: this instance serves on its own state and reconnects by itself.',
      }),
    )
  const last = detailed.config.last_error
  if (last) {
    config.appendChild(
      el(
        'div',
        { class: 'banner reload-error' },
        el('b', { text: `last reload refused (${fmtTime(last.at)}): ` }),
        (last.errors || []).join('; '),
      ),
    )
  }
}
function renderServices(samples: Sample[], stats: Stats, detailed: DetailedHealth | null, manage: Manage): void {
  const list = byId('services')
  list.textContent = ''
  const services = stats.load_balancer_stats || {}
  const names = Object.keys(services)
  fillServices(names)
  if (!names.length)
    list.appendChild(
      el('div', {
        class: 'banner info',
        text: 'No services configured: lmlb answers mock/... models only. Add keys to .env to see them here.',
      }),
    )
  for (const name of names) {
    const readiness = detailed && detailed.load_balancer.services
    const ready = readiness && readiness[name] ? readiness[name].ready : null
    list.appendChild(serviceSection(samples, name, services[name], ready, manage))
  }
}

function showProblem(text: string): void {
  const p = byId('problem')
  p.textContent = text
  p.hidden = !text
}
function lock(state: PageState, message: string): void {
  state.locked = true
  state.samples = []
  byId('services').textContent = ''
  byId('config').textContent = ''
  byId('meta').textContent = ''
  byId('status').hidden = true
  byId('dashboard').hidden = true
  byId('forget').hidden = true
  byId('keyform').hidden = false
  byId('keyerror').textContent = message || ''
  showProblem('')
  spendPoll(state)
  byId('key').focus()
}
function unlock(state: PageState): void {
  state.locked = false
  byId('keyform').hidden = true
  byId('dashboard').hidden = false
  byId('forget').hidden = !storedKey()
}

// ---- polling ----
function schedule(state: PageState): void {
  clearTimeout(state.timer)
  if (!state.locked) state.timer = setTimeout(() => poll(state), settings().pollMs)
}
function poll(state: PageState): void {
  clearTimeout(state.timer)
  Promise.all([get<Stats>(`/stats?keys=${settings().keysListed}`), get<HealthBody>('/health')])
    .then(
      ([stats, health]) => polled(state, stats, health),
      (e: { name?: string; message?: string } | null | undefined) => {
        showProblem(
          `lmlb did not answer (${e && e.name === 'AbortError' ? 'timed out' : (e && e.message) || e}): showing the last figures it gave`,
        )
      },
    )
    .then(
      () => schedule(state),
      () => schedule(state),
    )
}
/** What one poll brought: the key form if lmlb refused the key, else the figures. */
function polled(state: PageState, stats: Reply<Stats>, health: Reply<HealthBody>): void {
  if (stats.status === 401) {
    const had = storedKey()
    storeKey('')
    lock(state, had ? 'lmlb refused that key: it is not one of its PROXY_API_KEYS.' : '')
    return
  }
  if (stats.status !== 200 || !stats.body || !stats.body.load_balancer_stats) {
    showProblem(`GET /stats answered ${stats.status}`)
    return
  }
  unlock(state)
  showProblem('')
  if (state.version === null) askVersion(state)
  record(state, stats.body)
  render(state, stats.body, health.body, health.status)
}
/** lmlb's version, from the JSON at / (asked once; again after a failure, or once the key is forgotten). */
function askVersion(state: PageState): void {
  state.version = ''
  get<{ version?: string }>('/').then(
    (r) => {
      if (r.body && r.body.version) {
        state.version = r.body.version
        byId('version').textContent = `v${state.version}`
      }
    },
    () => {
      state.version = null
    },
  )
}

// ---- the key form ----
function submitKey(state: PageState, event: Event): void {
  event.preventDefault()
  const input = byId<HTMLInputElement>('key')
  const key = input.value.trim()
  if (!key) {
    byId('keyerror').textContent = 'Enter one of the proxy keys.'
    return
  }
  storeKey(key)
  input.value = ''
  byId('keyerror').textContent = 'Checking\u2026'
  state.locked = false
  poll(state)
  // The Spend panel asks the admin API, with the admin key alone: back at once (hidden again if this key is refused).
  spendPoll(state)
}
function forgetKey(state: PageState): void {
  storeKey('')
  state.version = null
  lock(state, '')
}
