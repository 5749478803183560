/**
 * The status page a browser gets at `/` (issue 14): one self-contained
 * document, HTML, CSS and script inline, nothing fetched from elsewhere
 * (it works air-gapped). It holds no data: its script polls `/stats` and
 * `/health` every 2 s with the proxy key the person typed (kept in the
 * tab's sessionStorage), and computes rates from successive polls. A
 * module with the text as a constant, so `bun build --compile` and Deno
 * carry it without reading a file. The script is typed functions
 * (page-script.ts), embedded as the source text the runtime keeps of them.
 *
 * With the admin key typed in, a Spend panel (its section below) shows
 * what /admin/usage and /admin/requests say: cost today and this month,
 * 14 days of it, and the latest failed requests.
 *
 * The script builds the DOM with textContent only: nothing from /stats is
 * ever parsed as HTML. The content-security-policy admits this page's own
 * script and style by hash, and connections to this origin alone.
 */
import { createHash } from 'node:crypto'
import { PAGE_FUNCTIONS, startStatusPage } from './page-script'

// The page's CSS stays text here: it holds no logic for the type check to see, and it is the page's own data like the HTML below.
const STYLE = `
:root{--bg:#f6f7f9;--card:#fff;--fg:#1c2330;--muted:#667085;--line:#e3e6eb;
--ok:#1a7f37;--okbg:#e6f4ea;--warn:#9a6700;--warnbg:#fff4d6;--bad:#c62828;--badbg:#fde8e8;
--req:#3b82f6;--err:#e5484d;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f1217;--card:#171b22;--fg:#e6e9ee;--muted:#98a2b3;--line:#2a303a;
--ok:#5cc97b;--okbg:#15301f;--warn:#e8b339;--warnbg:#3a2e10;--bad:#ff6b6b;--badbg:#3b1717;
--req:#60a5fa;--err:#ff6369}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{display:flex;flex-wrap:wrap;align-items:center;gap:6px 16px;padding:10px 20px;background:var(--card);border-bottom:1px solid var(--line)}
header h1{font-size:18px;margin:0}
header .sub{color:var(--muted);font-size:13px}
header .right{margin-left:auto;display:flex;gap:10px;align-items:center}
main{padding:14px 20px;max-width:1400px;margin:0 auto}
.banner{padding:8px 12px;border-radius:6px;margin:0 0 12px;background:var(--badbg);color:var(--bad)}
.banner.info{background:var(--card);color:var(--muted);border:1px solid var(--line)}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap}
.pill.healthy{background:var(--okbg);color:var(--ok)}
.pill.cooling,.pill.probing{background:var(--warnbg);color:var(--warn)}
.pill.disabled,.pill.unhealthy,.pill.down{background:var(--badbg);color:var(--bad)}
.pill.tag{background:transparent;color:var(--muted);border:1px solid var(--line);font-weight:500}
section.svc,section#spend{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:0 0 14px}
.svchead{display:flex;flex-wrap:wrap;align-items:center;gap:8px}
.svchead h2{font-size:16px;margin:0 6px 0 0}
.meta{color:var(--muted);font-size:12.5px;margin:4px 0 8px}
.chart{display:block;width:100%;height:70px;margin:4px 0 2px}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .req{fill:var(--req)}
.chart .err{fill:var(--err)}
.legend{color:var(--muted);font-size:12px;margin:0 0 8px}
.legend i{display:inline-block;width:9px;height:9px;border-radius:2px;margin:0 4px 0 8px;vertical-align:-1px}
.legend .r{background:var(--req)}.legend .e{background:var(--err)}
.legend .max{float:right}
section.svc.idle{padding:8px 14px}
section.svc.idle .meta{margin:2px 0 0}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
.tablewrap{overflow-x:auto}
th,td{padding:4px 7px;text-align:right;border-bottom:1px solid var(--line);white-space:nowrap;font-size:13px}
th{font-size:11.5px;font-weight:600;color:var(--muted);white-space:normal;vertical-align:bottom;line-height:1.2}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
td.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;max-width:320px;overflow:hidden;text-overflow:ellipsis}
tr.group td{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);background:var(--bg);padding:3px 8px}
.small{color:var(--muted);font-size:11.5px}
.nonzero{color:var(--bad);font-weight:600}
form#keyform{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:18px;max-width:460px;margin:40px auto}
form#keyform h2{margin:0 0 6px;font-size:17px}
form#keyform p{color:var(--muted);margin:0 0 12px}
form#keyform input{width:100%;padding:8px;font:inherit;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer}
#admin{margin:0 0 12px}
#admin form{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
#admin input[type=password],#admin textarea,#admin select{font:inherit;padding:6px;border:1px solid var(--line);border-radius:6px;
background:var(--bg);color:var(--fg)}
#admin textarea{flex:1 1 100%;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
#spend h3{font-size:14px;margin:10px 0 2px}
#spend .period .meta b{font-size:15px;color:var(--fg)}
.spendgrid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:0 28px}
#spend .tablewrap{margin:0 0 8px}
#spend td:nth-child(2),#spend th:nth-child(2){text-align:right}
details.failed{border-bottom:1px solid var(--line);padding:4px 0}
details.failed summary{cursor:pointer;display:flex;flex-wrap:wrap;gap:4px 12px;align-items:center;font-size:13px}
details.failed .model{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
#spend table.record{width:auto;margin:6px 0 6px 18px}
#spend table.record th,#spend table.record td{text-align:left;font-size:12.5px;white-space:normal;word-break:break-all}
td.manage button{padding:2px 8px;margin-right:4px;font-size:12px}
form#keyform button{margin-top:10px;background:var(--req);border-color:var(--req);color:#fff}
.err{color:var(--bad)}
[hidden]{display:none!important}
`

/**
 * The page's script: the source of each of page-script.ts's PAGE_FUNCTIONS as this runtime keeps it (Deno: as written,
 * types erased; Bun: as its transpiler prints it; the compiled binary: minified, each name shortened alike wherever it is
 * declared or called), all declared inside one function called at once (they leave nothing in the page's globals), which
 * ends by calling startStatusPage under the name it has in this runtime. The CSP hash below is taken from this text.
 * Strict, as the module they are written in: Bun's printer drops a function's own 'use strict' (a module needs none).
 */
const SCRIPT = `'use strict';(function(){\n${PAGE_FUNCTIONS.map((f) => f.toString()).join('\n')}\n${startStatusPage.name}()\n})()`

const HTML_HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>lmlb status</title>
<style>`

const BODY = `</style>
</head>
<body>
<header>
  <h1>lmlb</h1>
  <span class="sub" id="version"></span>
  <span class="pill" id="status" hidden></span>
  <span class="sub" id="meta"></span>
  <span class="right"><button type="button" id="forget" hidden>Forget key</button></span>
</header>
<main>
  <div class="banner" id="problem" role="alert" hidden></div>
  <form id="keyform" autocomplete="off" hidden>
    <h2>Proxy key required</h2>
    <p>This lmlb asks for one of its <code>PROXY_API_KEYS</code> before it shows its figures.
    The key stays in this tab (sessionStorage) and is sent as <code>x-api-key</code> to this lmlb only.</p>
    <input id="key" type="password" name="key" placeholder="proxy key" aria-label="proxy key" spellcheck="false">
    <button type="submit">Show status</button>
    <p class="err" id="keyerror" role="alert"></p>
  </form>
  <div id="dashboard">
    <div class="meta" id="config"></div>
    <section id="admin">
      <form id="adminform" autocomplete="off">
        <input id="adminkey" type="password" placeholder="admin key (LMLB_ADMIN_KEY)" aria-label="admin key" spellcheck="false">
        <button type="submit">Manage keys</button>
        <span class="err" id="adminerror" role="alert"></span>
      </form>
      <form id="addkeys" autocomplete="off" hidden>
        <label>Add keys to <select id="addservice" aria-label="service"></select></label>
        <textarea id="addtext" rows="3" placeholder="one key a line" aria-label="keys to add" spellcheck="false"></textarea>
        <label><input type="checkbox" id="addcheck" checked> check each before it serves</label>
        <button type="submit">Add</button>
        <button type="button" id="adminforget">Forget admin key</button>
        <div class="meta" id="adminmsg" role="status"></div>
      </form>
    </section>
    <section id="spend" hidden>
      <div class="svchead"><h2>Spend</h2><span class="meta" id="spendmeta"></span></div>
      <div class="err" id="spendmsg" role="status"></div>
      <div id="spendbody"></div>
    </section>
    <div id="services"><div class="banner info">Loading\u2026</div></div>
  </div>
</main>
<script>`

const TAIL = `</script>
</body>
</html>
`

/** The whole page: a constant, served as it is. */
export const STATUS_PAGE_HTML = HTML_HEAD + STYLE + BODY + SCRIPT + TAIL

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

/** Only this page's own script and style run; it may talk to this origin alone, and nothing may frame it. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** A browser asking for a page (its Accept names text/html); API clients, curl and probes send something else. */
export function statusPage(): Response {
  return new Response(STATUS_PAGE_HTML, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': STATUS_PAGE_CSP,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      vary: 'accept',
    },
  })
}
