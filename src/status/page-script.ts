/**
 * The status page's script (see status-page.ts): it polls /stats and
 * /health and builds the page's DOM with textContent only.
 */

// Plain ES2018, no template literals (this file holds it in one), no innerHTML of data.
export const STATUS_PAGE_SCRIPT = `
(function () {
  'use strict';
  var POLL_MS = 2000, TIMEOUT_MS = 5000, RATE_WINDOW_MS = 60000, HISTORY_MS = 5 * 60000, KEY_SLOT = 'lmlb.proxyKey';
  var samples = [];
  var version = null, timer = null, locked = false;

  function byId(id) { return document.getElementById(id); }
  function el(tag, attrs) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      if (name === 'text') node.textContent = attrs.text; else if (attrs[name] != null) node.setAttribute(name, attrs[name]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child == null) continue;
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  // The SVG namespace as the HTML parser gives it: the page spells out no URL at all.
  var SVG_NS = (function () { var box = document.createElement('div'); box.innerHTML = '<svg></svg>'; return box.firstChild.namespaceURI; })();
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    return node;
  }

  function storedKey() { try { return sessionStorage.getItem(KEY_SLOT) || ''; } catch (e) { return ''; } }
  function storeKey(key) { try { if (key) sessionStorage.setItem(KEY_SLOT, key); else sessionStorage.removeItem(KEY_SLOT); } catch (e) {} }

  function get(path) {
    var headers = { accept: 'application/json' };
    var key = storedKey();
    if (key) headers['x-api-key'] = key;
    var abort = new AbortController();
    var timeout = setTimeout(function () { abort.abort(); }, TIMEOUT_MS);
    return fetch(path, { headers: headers, cache: 'no-store', credentials: 'omit', signal: abort.signal })
      .then(function (res) { return res.text().then(function (text) { var body = null; try { body = JSON.parse(text); } catch (e) {} return { status: res.status, body: body }; }); })
      .finally(function () { clearTimeout(timeout); });
  }

  // ---- figures ----
  function fmtInt(n) { return typeof n === 'number' ? Math.round(n).toLocaleString('en-US') : '\\u2014'; }
  function fmtCompact(n) {
    if (typeof n !== 'number') return '\\u2014';
    var a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + 'G';
    if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e4) return (n / 1e3).toFixed(a >= 1e5 ? 0 : 1) + 'k';
    return fmtInt(n);
  }
  function fmtRate(r) { return r == null ? '\\u2014' : r >= 100 ? fmtInt(r) : r >= 10 ? r.toFixed(1) : r.toFixed(r === 0 ? 0 : 2); }
  function fmtMs(ms) { return ms >= 10000 ? (ms / 1000).toFixed(1) + ' s' : ms >= 100 ? Math.round(ms) + ' ms' : (Math.round(ms * 10) / 10) + ' ms'; }
  function fmtDuration(ms) {
    var s = Math.ceil(ms / 1000);
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + (s % 60) + ' s';
    var h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }
  function fmtTime(iso) { var d = new Date(iso); return isNaN(d) ? String(iso) : d.toLocaleString(); }
  function errorTotal(errors) { var n = 0; for (var k in errors || {}) n += errors[k]; return n; }
  function errorKinds(errors) { return Object.keys(errors || {}).sort().map(function (k) { return k + ' ' + errors[k]; }).join(', '); }

  // ---- history: cumulative counters from each poll, rates from their differences ----
  function targetId(service, kind, index, name) { return service + '|' + kind + '|' + index + '|' + name; }
  function record(stats) {
    var snap = { t: Date.now(), targets: {}, services: {} };
    var services = stats.load_balancer_stats || {};
    for (var name in services) {
      var svc = services[name], sum = { r: 0, e: 0 };
      (svc.keys || []).forEach(function (k, i) { snap.targets[targetId(name, 'key', i, k.key)] = { r: k.requests, e: errorTotal(k.errors) }; });
      (svc.endpoint_stats || []).forEach(function (ep, i) {
        var r = ep.requests, e = errorTotal(ep.errors);
        snap.targets[targetId(name, 'endpoint', i, ep.url)] = { r: r, e: e };
        sum.r += r; sum.e += e;
      });
      snap.services[name] = sum;
    }
    var last = samples[samples.length - 1];
    // Counters went back: lmlb restarted. What came before says nothing of now.
    if (last) for (var s in snap.services) if (last.services[s] && snap.services[s].r < last.services[s].r) { samples = []; break; }
    samples.push(snap);
    while (samples.length > 2 && samples[0].t < snap.t - HISTORY_MS - POLL_MS) samples.shift();
  }
  /** Per minute over the last RATE_WINDOW_MS (or as much of it as the page has seen). */
  function ratePerMinute(id) {
    var now = samples[samples.length - 1];
    if (!now || samples.length < 2) return null;
    var base = null;
    for (var i = 0; i < samples.length - 1; i++) if (samples[i].t >= now.t - RATE_WINDOW_MS - POLL_MS / 2 && samples[i].targets[id]) { base = samples[i]; break; }
    if (!base || !now.targets[id] || now.t <= base.t) return null;
    var minutes = (now.t - base.t) / 60000, a = base.targets[id], b = now.targets[id];
    return { r: Math.max(0, b.r - a.r) / minutes, e: Math.max(0, b.e - a.e) / minutes };
  }

  // ---- rendering ----
  function stateCell(health, kind) {
    var st = (health && health.state) || 'unknown', label = st;
    if (st === 'cooling') label = 'cooling \\u00b7 ' + fmtDuration(health.cooldown_remaining_ms || 0) + ' left';
    else if (st === 'invalid') label = kind === 'key' ? 'set aside (invalid key)' : 'set aside (invalid)';
    else if (st === 'probing') label = 'probing';
    var pill = el('span', { 'class': 'pill ' + st, 'data-state': st, text: label });
    if (health && health.consecutive_failures) pill.title = health.consecutive_failures + ' consecutive failure(s)';
    return el('td', { 'class': 'state' }, pill);
  }
  function latencyText(t) {
    var l = t.latency_ms;
    if (l && typeof l.p50 === 'number' && typeof l.p95 === 'number') return 'p50 ' + fmtMs(l.p50) + ' \\u00b7 p95 ' + fmtMs(l.p95);
    return t.finished ? 'avg ' + fmtMs(t.avg_latency_ms || 0) : '\\u2014';
  }
  function quotaText(q) {
    if (!q) return '';
    var parts = [];
    if (q.remaining_requests != null) parts.push(fmtCompact(q.remaining_requests) + ' req');
    if (q.remaining_tokens != null) parts.push(fmtCompact(q.remaining_tokens) + ' tok');
    return parts.length ? parts.join(' \\u00b7 ') : '\\u2014';
  }
  function targetRow(service, kind, index, t) {
    var name = kind === 'key' ? t.key : t.url, id = targetId(service, kind, index, name);
    var rate = ratePerMinute(id), errors = errorTotal(t.errors);
    var errCell = el('td', { 'class': 'errors' }, el('span', { 'class': errors ? 'nonzero' : '', text: fmtInt(errors) }));
    if (errors) { errCell.appendChild(el('br')); errCell.appendChild(el('span', { 'class': 'small', text: errorKinds(t.errors) })); }
    return el('tr', { 'data-kind': kind, 'data-id': name },
      el('td', { 'class': 'id', title: name, text: name }),
      stateCell(t.health, kind),
      el('td', { 'class': 'rpm', text: rate ? fmtRate(rate.r) : '\\u2014' }),
      el('td', { 'class': 'epm' }, el('span', { 'class': rate && rate.e > 0 ? 'nonzero' : '', text: rate ? fmtRate(rate.e) : '\\u2014' })),
      el('td', { 'class': 'inflight', text: fmtInt(t.in_flight) }),
      el('td', { 'class': 'requests', text: fmtInt(t.requests) }),
      errCell,
      el('td', { 'class': 'latency', text: latencyText(t) }),
      el('td', { 'class': 'tokens', text: fmtCompact(t.tokens_in) + ' / ' + fmtCompact(t.tokens_out) }),
      el('td', { 'class': 'cached', text: fmtCompact(t.cache_read_tokens) + ' / ' + fmtCompact(t.cache_write_tokens) }),
      el('td', { 'class': 'quota', text: kind === 'key' ? quotaText(t.quota) : '' }));
  }
  function chart(service) {
    // The last 5 minutes; a page opened a moment ago shows the minute it has seen so far, not an empty chart.
    var W = 600, H = 70, TOP = 6, now = samples.length ? samples[samples.length - 1].t : Date.now();
    var span = Math.min(HISTORY_MS, Math.max(60000, samples.length ? now - samples[0].t : 0)), start = now - span;
    var bars = [], max = 1;
    for (var i = 1; i < samples.length; i++) {
      var a = samples[i - 1].services[service], b = samples[i].services[service];
      if (!a || !b || samples[i].t < start) continue;
      var bar = { t0: Math.max(samples[i - 1].t, start), t1: samples[i].t, r: Math.max(0, b.r - a.r), e: Math.max(0, b.e - a.e) };
      bars.push(bar);
      max = Math.max(max, bar.r, bar.e);
    }
    var root = svg('svg', { 'class': 'chart', viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'requests and errors per poll interval, last 5 minutes' });
    root.appendChild(svg('line', { 'class': 'grid', x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5 }));
    root.appendChild(svg('line', { 'class': 'grid', x1: 0, x2: W, y1: TOP, y2: TOP }));
    var x = function (t) { return (t - start) / span * W; }, y = function (n) { return (H - TOP) * n / max; };
    bars.forEach(function (b) {
      var x0 = x(b.t0), w = Math.max(1, x(b.t1) - x0 - 1);
      if (b.r) root.appendChild(svg('rect', { 'class': 'req', x: x0, width: w, y: H - y(b.r), height: y(b.r) }));
      if (b.e) root.appendChild(svg('rect', { 'class': 'err', x: x0, width: w, y: H - y(b.e), height: y(b.e) }));
    });
    return { svg: root, max: max, minutes: Math.round(span / 60000) };
  }
  function serviceSection(name, svc, ready) {
    var a = svc.affinity || {}, repins = 0, keys = svc.keys || [], endpoints = svc.endpoint_stats || [];
    for (var why in a.repins || {}) repins += a.repins[why];
    var head = el('div', { 'class': 'svchead' },
      el('h2', { text: name }),
      el('span', { 'class': 'pill tag', text: 'format ' + svc.format }),
      el('span', { 'class': 'pill tag', text: svc.strategy }),
      keys.length === 0 ? el('span', { 'class': 'pill tag', text: 'no keys configured' })
        : ready == null ? null : el('span', { 'class': 'pill ' + (ready ? 'healthy' : 'down'), 'data-ready': String(ready), text: ready ? 'ready' : 'not ready' }));
    // A built-in service without keys serves nothing: one line, not an empty table.
    if (keys.length === 0) {
      return el('section', { 'class': 'svc idle', 'data-service': name }, head,
        el('div', { 'class': 'meta', text: endpoints.length + ' endpoint(s), no key: lmlb sends nothing here until it has one' }));
    }
    var meta = el('div', { 'class': 'meta' },
      'affinity: ' + (a.mode || 'off') + ' \u00b7 ',
      el('b', { 'class': 'pinned', text: fmtInt(a.pinned_sessions || 0) }),
      ' pinned session(s) \u00b7 ' + fmtInt(a.hits || 0) + ' hits \u00b7 ' + fmtInt(a.new_pins || 0) + ' new pins \u00b7 ' + fmtInt(repins) + ' repins');
    var body = el('tbody');
    var group = function (label) { return el('tr', { 'class': 'group' }, el('td', { colspan: 11, text: label })); };
    body.appendChild(group('keys (' + keys.length + ')'));
    keys.forEach(function (k, i) { body.appendChild(targetRow(name, 'key', i, k)); });
    body.appendChild(group('endpoints (' + endpoints.length + ')'));
    endpoints.forEach(function (ep, i) { body.appendChild(targetRow(name, 'endpoint', i, ep)); });
    var headRow = el('tr');
    ['key / endpoint', 'state', 'req/min', 'err/min', 'in flight', 'requests', 'errors', 'latency', 'tokens in / out', 'cached read / write', 'quota left']
      .forEach(function (h) { headRow.appendChild(el('th', { text: h })); });
    var drawn = chart(name);
    return el('section', { 'class': 'svc', 'data-service': name },
      head, meta, drawn.svg,
      el('div', { 'class': 'legend' }, 'per ' + POLL_MS / 1000 + ' s interval, last ' + drawn.minutes + ' min:', el('i', { 'class': 'r' }), 'requests', el('i', { 'class': 'e' }), 'errors',
        el('span', { 'class': 'max', text: 'tallest bar: ' + drawn.max })),
      el('div', { 'class': 'tablewrap' }, el('table', null, el('thead', null, headRow), body)));
  }

  function render(stats, health, healthStatus) {
    var detailed = health && health.load_balancer ? health : null;
    var status = (health && health.status) || (healthStatus === 200 ? 'healthy' : 'unhealthy');
    var pill = byId('status');
    pill.className = 'pill ' + (status === 'healthy' ? 'healthy' : 'unhealthy');
    pill.textContent = status;
    pill.hidden = false;
    byId('version').textContent = version ? 'v' + version : '';
    var bits = ['workers ' + (stats.workers || 1)];
    var shared = stats.shared;
    if (shared) bits.push(shared.redis === 'connected' && shared.instances ? 'Redis connected, ' + shared.instances + (shared.instances === 1 ? ' instance' : ' instances') + ' sharing state' : 'Redis ' + shared.redis);
    if (detailed && typeof detailed.uptime_seconds === 'number') bits.push('up ' + fmtDuration(detailed.uptime_seconds * 1000));
    bits.push('updated ' + new Date().toLocaleTimeString());
    byId('meta').textContent = bits.join(' \\u00b7 ');

    var config = byId('config');
    config.textContent = '';
    if (detailed && detailed.config) {
      config.appendChild(el('span', { 'class': 'loaded' }, 'configuration loaded ' + fmtTime(detailed.config.loaded_at)));
      if (shared && shared.redis === 'unreachable') config.appendChild(el('div', { 'class': 'banner redis-down', text: 'Redis unreachable: this instance serves on its own state and reconnects by itself.' }));
      var last = detailed.config.last_error;
      if (last) {
        config.appendChild(el('div', { 'class': 'banner reload-error' },
          el('b', { text: 'last reload refused (' + fmtTime(last.at) + '): ' }), (last.errors || []).join('; ')));
      }
    }

    var list = byId('services');
    list.textContent = '';
    var services = stats.load_balancer_stats || {}, names = Object.keys(services);
    if (!names.length) list.appendChild(el('div', { 'class': 'banner info', text: 'No services configured: lmlb answers mock/... models only. Add keys to .env to see them here.' }));
    names.forEach(function (name) {
      var ready = detailed && detailed.load_balancer.services && detailed.load_balancer.services[name] ? detailed.load_balancer.services[name].ready : null;
      list.appendChild(serviceSection(name, services[name], ready));
    });
  }

  function showProblem(text) {
    var p = byId('problem');
    p.textContent = text;
    p.hidden = !text;
  }
  function lock(message) {
    locked = true;
    samples = [];
    byId('services').textContent = '';
    byId('config').textContent = '';
    byId('meta').textContent = '';
    byId('status').hidden = true;
    byId('dashboard').hidden = true;
    byId('forget').hidden = true;
    byId('keyform').hidden = false;
    byId('keyerror').textContent = message || '';
    showProblem('');
    byId('key').focus();
  }
  function unlock() {
    locked = false;
    byId('keyform').hidden = true;
    byId('dashboard').hidden = false;
    byId('forget').hidden = !storedKey();
  }

  function schedule() { clearTimeout(timer); if (!locked) timer = setTimeout(poll, POLL_MS); }
  function poll() {
    clearTimeout(timer);
    Promise.all([get('/stats'), get('/health')]).then(function (res) {
      var stats = res[0], health = res[1];
      if (stats.status === 401) {
        var had = storedKey();
        storeKey('');
        lock(had ? 'lmlb refused that key: it is not one of its PROXY_API_KEYS.' : '');
        return;
      }
      if (stats.status !== 200 || !stats.body || !stats.body.load_balancer_stats) { showProblem('GET /stats answered ' + stats.status); return; }
      unlock();
      showProblem('');
      if (version === null) {
        version = '';
        get('/').then(function (r) { if (r.body && r.body.version) { version = r.body.version; byId('version').textContent = 'v' + version; } }, function () { version = null; });
      }
      record(stats.body);
      render(stats.body, health.body, health.status);
    }, function (e) {
      showProblem('lmlb did not answer (' + (e && e.name === 'AbortError' ? 'timed out' : (e && e.message) || e) + '): showing the last figures it gave');
    }).then(schedule, schedule);
  }

  byId('keyform').addEventListener('submit', function (event) {
    event.preventDefault();
    var key = byId('key').value.trim();
    if (!key) { byId('keyerror').textContent = 'Enter one of the proxy keys.'; return; }
    storeKey(key);
    byId('key').value = '';
    byId('keyerror').textContent = 'Checking\\u2026';
    locked = false;
    poll();
  });
  byId('forget').addEventListener('click', function () { storeKey(''); version = null; lock(''); });
  poll();
})();
`
