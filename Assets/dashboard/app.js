// VTX Link dashboard. Plain JS, no dependencies. Live via one EventSource on
// /api/v1/events; one GET /api/v1/system per connection fills the header.
// Every value from the API goes into the page as text (textContent), never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
// Requests go to the directory of this page, without the user:password@ a URL may
// carry (fetch refuses URLs with credentials; the browser still sends the Basic auth).
const BASE = location.origin + location.pathname.replace(/[^/]*$/, '');
const WINDOW_SEC = 300;            // sparkline span: 5 minutes
const THUMB_MS = 10000;            // snapshot refresh of running streams, while the page is visible
const STATES = ['idle', 'starting', 'running', 'backoff', 'stopping', 'failed'];
const FAILURES = ['crashed', 'stalled', 'storage_limit', 'start_timeout', 'spawn_failed', 'rejected_memory', 'rejected_max_streams'];
// History reasons in an operator's words (the API's reason string is the entry's title).
const REASONS = {
  stopped_idle: 'stopped (idle)', stopped_by_operator: 'stopped by operator', restarted_by_operator: 'restarted by operator',
  shutdown: 'stopped (gateway shutdown)', output_chosen: 'restarted (output chosen)', storage_limit: 'storage limit',
  start_timeout: 'start timeout', spawn_failed: 'could not start', rejected_memory: 'refused: memory',
  rejected_max_streams: 'refused: max_streams',
};
const SIGNALS = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };

const streams = new Map();         // name → { s: last stream JSON, at: ms of s, card refs… }
const gw = { system: null, stats: null, at: 0 };
const memRing = ring(), rssRing = ring();
let es = null, retryTimer = 0, lastMessage = 0, failures = 0;

// ---------- formatting ----------
function num(v) { return typeof v === 'number' && isFinite(v); }
function dur(sec) {
  if (!num(sec)) return '–';
  sec = Math.max(0, Math.floor(sec));
  const d = Math.floor(sec / 86400), h = Math.floor(sec / 3600) % 24, m = Math.floor(sec / 60) % 60, s = sec % 60;
  if (d) return d + ' d ' + h + ' h';
  if (h) return h + ' h ' + String(m).padStart(2, '0') + ' m';
  if (m) return m + ' m ' + String(s).padStart(2, '0') + ' s';
  return s + ' s';
}
function kb(v) {
  if (!num(v)) return '–';
  if (v >= 1048576) return (v / 1048576).toFixed(v >= 10485760 ? 1 : 2) + ' GiB';
  if (v >= 1024) return (v / 1024).toFixed(v >= 102400 ? 0 : 1) + ' MiB';
  return v + ' KiB';
}
function clock(unix) {
  if (!num(unix)) return '–';
  const d = new Date(unix * 1000), now = new Date();
  const t = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toDateString() === now.toDateString() ? t : d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + t;
}
function text(el, v) { const t = v == null ? '' : String(v); if (el.textContent !== t) el.textContent = t; }
function show(el, on) { el.hidden = !on; }
function make(tag, cls, content) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (content != null) e.textContent = content;
  return e;
}
const now = () => performance.now();

// ---------- ring buffer + sparkline ----------
function ring(size = WINDOW_SEC + 5) {
  return { t: new Float64Array(size), v: new Float64Array(size), n: 0, i: 0, size };
}
function push(r, v) {
  if (!num(v)) return;
  r.t[r.i] = now(); r.v[r.i] = v;
  r.i = (r.i + 1) % r.size; r.n = Math.min(r.n + 1, r.size);
}
/// Draws the ring's last 5 minutes into `svg` (a polyline and the area under it),
/// zero-based; the time axis grows with the data up to the full window.
/// Writes a caption (label, span, range) into `cap` and the same as the chart's label.
function draw(svg, r, fmt, label, cap) {
  const line = svg.querySelector('polyline'), area = svg.querySelector('polygon');
  const t0 = now(), vals = [];
  for (let k = r.n; k > 0; k--) {
    const j = (r.i - k + r.size) % r.size, age = (t0 - r.t[j]) / 1000;
    if (age <= WINDOW_SEC) vals.push([age, r.v[j]]);
  }
  if (!vals.length) { line.setAttribute('points', ''); area.setAttribute('points', ''); return; }
  const span = Math.min(WINDOW_SEC, Math.max(20, vals[0][0]));
  let lo = Infinity, hi = 0;
  for (const [, v] of vals) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const top = hi > 0 ? hi * 1.12 : 1;
  const pts = vals.map(([age, v]) => (300 * (1 - age / span)).toFixed(1) + ',' + (39 - v / top * 36).toFixed(1));
  if (pts.length === 1) pts.unshift((300 * (1 - 1 / span)).toFixed(1) + ',' + pts[0].split(',')[1]);
  line.setAttribute('points', pts.join(' '));
  area.setAttribute('points', pts[0].split(',')[0] + ',40 ' + pts.join(' ') + ' 300,40');
  const desc = label + ' · last ' + (span >= WINDOW_SEC ? '5 min' : dur(span)) + ' · ' +
    (fmt(lo) === fmt(hi) ? fmt(hi) : fmt(lo) + ' – ' + fmt(hi));
  svg.setAttribute('aria-label', desc);
  if (cap) text(cap, desc);
}

// ---------- API ----------
function token() { try { return sessionStorage.getItem('vtx-token') || ''; } catch (e) { return ''; } }
function headers(extra) {
  const h = Object.assign({ Accept: 'application/json' }, extra);
  const t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}
async function apiError(res) {
  let code = '', msg = res.statusText;
  try { const j = await res.json(); if (j && j.error) { code = j.error.code || ''; msg = j.error.message || msg; } } catch (e) { /* not JSON */ }
  let out = res.status + (code ? ' ' + code : '') + ': ' + msg;
  if (res.status === 401) out = '401: not authorised — sign in (reload) or set an access token';
  const ra = res.headers.get('Retry-After');
  if (ra) out += ' (retry after ' + ra + ' s)';
  return out;
}

async function loadSystem() {
  try {
    const res = await fetch(BASE + 'api/v1/system', { headers: headers(), cache: 'no-store' });
    const notice = $('notice');
    show(notice, !res.ok);
    if (!res.ok) { text(notice, 'Gateway information: ' + await apiError(res)); return; }
    gw.system = await res.json();
    renderSystem();
  } catch (e) { /* the event stream reports the outage */ }
}

async function command(entry, action) {
  const name = entry.s.name;
  if (action === 'stop' && !confirm('Stop stream "' + name + '"? Viewers lose the picture until it is started again.')) return;
  const btn = entry.card.querySelector('[data-action="' + action + '"]');
  btn.disabled = true;
  show(entry.err, false);
  try {
    const res = await fetch(BASE + 'api/v1/streams/' + encodeURIComponent(name) + '/' + action, {
      method: 'POST', headers: headers({ 'X-VTX-Request': '1' }), cache: 'no-store',
    });
    if (!res.ok) fail(entry, await apiError(res));
  } catch (e) {
    fail(entry, action + ' failed: gateway unreachable');
  } finally {
    btn.disabled = false;
  }
}
function fail(entry, msg) { text(entry.err, msg); show(entry.err, true); }

// ---------- header ----------
function renderSystem() {
  const sys = gw.system;
  if (!sys) return;
  text($('version'), 'v' + sys.version);
  const fs = sys.hls_root || {};
  text($('fstype'), fs.fs_type || 'unknown');
  text($('fspath'), fs.path || '');
  show($('fs-ram'), !!fs.is_ram);
  show($('fs-warn'), !fs.is_ram);
  text($('ffmpeg'), sys.ffmpeg && sys.ffmpeg.version ? sys.ffmpeg.version : '');
  if (!gw.stats) {
    gw.up = sys.uptime_sec; gw.at = now();
    text($('rss'), kb(sys.gateway_rss_kb));
    text($('running'), sys.streams_running);
    text($('configured'), sys.streams_configured);
    const m = sys.memory || {};
    renderMemory(m.total_kb, m.effective_available_kb);
  } else renderMemory(gw.stats.memory_total_kb, gw.stats.memory_available_kb);
}

function renderMemory(total, avail) {
  const bar = $('membar');
  // In a container with a memory limit, the limit is the total that matters.
  const lim = gw.system && gw.system.memory ? gw.system.memory.cgroup_limit_kb : null;
  if (num(lim) && lim > 0 && (!num(total) || lim < total)) total = lim;
  if (!num(total) || !num(avail) || total <= 0) return;
  const pct = Math.max(0, Math.min(100, avail / total * 100));
  bar.querySelector('.fill').style.width = pct.toFixed(2) + '%';
  bar.setAttribute('aria-valuemax', String(total));
  bar.setAttribute('aria-valuenow', String(avail));
  bar.setAttribute('aria-valuetext', kb(avail) + ' available of ' + kb(total));
  text($('memtext'), kb(avail) + ' available of ' + kb(total) + ' (' + pct.toFixed(0) + ' %)');
  const min = gw.system && gw.system.memory ? gw.system.memory.min_available_mb : null;
  const guard = bar.querySelector('.guard');
  if (num(min)) {
    const g = Math.min(100, min * 1024 / total * 100);
    guard.style.left = g.toFixed(2) + '%';
    show(guard, true);
    text($('guardtext'), '· guard below ' + kb(min * 1024));
    bar.dataset.low = avail < min * 1024 * 2 ? 'true' : 'false';
  } else show(guard, false);
}

function onStats(st) {
  gw.stats = st; gw.up = st.uptime_sec; gw.at = now();
  text($('rss'), kb(st.gateway_rss_kb));
  text($('running'), st.streams_running);
  text($('configured'), (st.streams || []).length);
  renderMemory(st.memory_total_kb, st.memory_available_kb);
  push(memRing, st.memory_available_kb); push(rssRing, st.gateway_rss_kb);
  draw($('spark-avail'), memRing, kb, 'Available memory', $('cap-avail'));
  draw($('spark-rss'), rssRing, kb, 'Gateway RSS', $('cap-rss'));
  const seen = new Set();
  for (const x of st.streams || []) {
    seen.add(x.name);
    const e = streams.get(x.name);
    if (!e) continue;
    for (const k of ['ffmpeg_rss_kb', 'viewers', 'since_last_request_sec', 'next_retry_in_sec', 'uptime_sec', 'input']) e.s[k] = x[k];
    e.at = now();
    push(e.ring, x.ffmpeg_rss_kb == null ? 0 : x.ffmpeg_rss_kb);
    draw(e.spark, e.ring, kb, 'FFmpeg RSS', e.cap);
    push(e.fpsRing, x.input && num(x.input.fps) ? x.input.fps : 0);
    draw(e.fpsSpark, e.fpsRing, fps, 'Input fps', e.fpsCap);
    renderLive(e);
  }
  // Streams gone from the config (reload) or from a restarted gateway.
  for (const [name, e] of streams) if (!seen.has(name)) removeCard(name, e);
  show($('empty'), streams.size === 0);
}

// ---------- stream cards ----------
function createCard(name) {
  const card = $('card').content.firstElementChild.cloneNode(true);
  card.dataset.stream = name;
  const q = (sel) => card.querySelector(sel);
  const e = {
    card, s: { name }, at: now(), ring: ring(), open: new Set(), wasFailed: false,
    state: q('.state'), err: q('.error'), spark: q('.spark'), cap: q('.sparkbox .cap'), preview: q('.preview'), play: q('.play'),
    fpsRing: ring(), fpsSpark: q('.spark.fps'), fpsCap: q('.fpscap'), thumb: q('.thumb'), thumbURL: '', thumbBusy: false,
  };
  e.thumb.alt = 'Latest picture of ' + name;
  text(q('.name'), name);
  for (const b of card.querySelectorAll('[data-action]')) {
    b.setAttribute('aria-label', b.textContent + ' stream ' + name);
    b.addEventListener('click', () => command(e, b.dataset.action));
  }
  e.play.setAttribute('aria-label', 'Preview stream ' + name);
  e.play.addEventListener('click', () => (e.video || !e.preview.hidden ? closePreview(e) : openPreview(e)));
  q('.copy').addEventListener('click', () => copyURL(e));
  // Keep cards in the order the gateway lists them (first seen first).
  $('streams').appendChild(card);
  streams.set(name, e);
  show($('empty'), false);
  return e;
}

function removeCard(name, e) {
  closePreview(e);
  dropThumb(e);
  e.card.remove();
  streams.delete(name);
}

function onStream(s) {
  const e = streams.get(s.name) || createCard(s.name);
  if (e.s.state && e.s.state !== s.state) show(e.err, false);  // a command's error is stale now
  const wasRunning = e.s.state === 'running';
  e.s = s; e.at = now();
  renderCard(e);
  if (s.state === 'running' && !wasRunning) refreshThumb(e);
  if (s.state !== 'running') dropThumb(e);
}

function renderCard(e) {
  const s = e.s, card = e.card;
  const state = STATES.includes(s.state) ? s.state : 'idle';
  card.dataset.state = state;
  e.state.dataset.state = state;
  text(e.state, s.state);
  e.state.setAttribute('title', s.reason ? 'reason: ' + s.reason : '');
  text(card.querySelector('.source'), s.source);
  card.querySelector('.source').setAttribute('title', s.source || '');
  const failure = card.querySelector('.failure');
  show(failure, state === 'failed');
  text(failure, state === 'failed' ? 'Failed: ' + (s.failure || s.reason || 'unknown reason') : '');
  // What the operator should know of the camera (audio dropped, long keyframe interval).
  const notes = card.querySelector('.notes'), list = Array.isArray(s.notes) ? s.notes : [];
  show(notes, list.length > 0);
  text(notes, list.join(' · '));
  text(card.querySelector('.restarts'), s.restarts);
  text(card.querySelector('.failures'), s.failures);
  if (s.history) renderHistory(e, s.history);
  // Newly failed: open the history so the cause is one click away.
  if (state === 'failed' && !e.wasFailed) card.querySelector('.history').open = true;
  e.wasFailed = state === 'failed';
  renderLive(e);
}

/// The ticking fields: values received at e.at, advanced by local time.
function renderLive(e) {
  const s = e.s, card = e.card, dt = (now() - e.at) / 1000;
  const running = s.state === 'running' || s.state === 'starting' || s.state === 'stopping';
  text(card.querySelector('.uptime'), num(s.uptime_sec) && running ? dur(s.uptime_sec + dt) : '–');
  text(card.querySelector('.viewers'), num(s.viewers) ? s.viewers : '–');
  const peak = num(s.ffmpeg_peak_rss_kb) && s.ffmpeg_peak_rss_kb > 0 ? 'peak ' + kb(s.ffmpeg_peak_rss_kb) : '';
  text(card.querySelector('.rss'), num(s.ffmpeg_rss_kb) ? kb(s.ffmpeg_rss_kb) : peak ? '– (' + peak + ')' : '–');
  card.querySelector('.rss').title = peak;
  const inp = s.input || {};
  text(card.querySelector('.input'), s.state === 'running' && num(inp.fps)
    ? fps(inp.fps) + (num(inp.bitrate_kbps) ? ' · ' + Math.round(inp.bitrate_kbps) + ' kbit/s' : '') : '–');
  const retry = card.querySelector('.retry');
  const inBackoff = s.state === 'backoff' && num(s.next_retry_in_sec);
  show(retry, inBackoff);
  if (inBackoff) text(retry, 'Retry ' + (s.attempt ? '#' + (s.attempt + 1) + ' ' : '') + 'in ' + dur(Math.ceil(Math.max(0, s.next_retry_in_sec - dt))));
  // Seconds since the last viewer request against idle_timeout.
  const idle = card.querySelector('.idle'), bar = card.querySelector('.idlebar');
  const since = num(s.since_last_request_sec) ? s.since_last_request_sec + dt : null;
  let msg = since == null ? 'no viewer yet' : dur(since) + ' ago';
  let frac = null;
  if (s.state === 'running') {
    if (s.auto_start) msg += ' · auto-start: never reclaimed';
    else if (!s.idle_timeout) msg += ' · idle timeout off';
    else if (since != null) {
      const left = s.idle_timeout - since;
      msg += left > 0 ? ' · idle stop in ' + dur(Math.ceil(left)) : ' · idle stop due';
      frac = Math.max(0, Math.min(1, left / s.idle_timeout));
    } else msg += ' · idle timeout ' + dur(s.idle_timeout);
  } else if (s.idle_timeout) msg += ' · idle timeout ' + dur(s.idle_timeout);
  text(idle, msg);
  show(bar, frac != null);
  if (frac != null) {
    bar.firstElementChild.style.width = (frac * 100).toFixed(1) + '%';
    bar.dataset.low = frac < 0.2 ? 'true' : 'false';
  }
}

function eventKey(h) { return h.time + '|' + h.reason + '|' + (h.pid == null ? '' : h.pid) + '|' + h.attempt; }

function renderHistory(e, hist) {
  const list = e.card.querySelector('.timeline');
  const nfail = hist.filter((h) => FAILURES.includes(h.reason)).length;
  text(e.card.querySelector('.hcount'), hist.length ? '· ' + hist.length + (hist.length === 1 ? ' event' : ' events') + (nfail ? ', ' + nfail + ' failed' : '') : '· none yet');
  const keys = new Set(hist.map(eventKey));
  for (const k of e.open) if (!keys.has(k)) e.open.delete(k);
  list.replaceChildren();
  hist.forEach((h, i) => {
    const key = eventKey(h), id = 'ev-' + e.card.dataset.stream + '-' + i;
    const li = make('li', 'ev');
    li.dataset.reason = h.reason;
    li.dataset.kind = FAILURES.includes(h.reason) ? 'fail' : h.reason === 'started' ? 'start' : 'stop';
    const btn = make('button', 'ev-head');
    btn.type = 'button';
    btn.setAttribute('aria-controls', id);
    btn.appendChild(make('time', 'ev-time', clock(h.time)));
    const why = make('span', 'ev-reason', REASONS[h.reason] || String(h.reason).replace(/_/g, ' '));
    why.title = h.reason;
    btn.appendChild(why);
    let exit = '';
    if (num(h.signal)) exit = 'signal ' + h.signal + (SIGNALS[h.signal] ? ' ' + SIGNALS[h.signal] : '');
    else if (num(h.exit_code)) exit = 'exit ' + h.exit_code;
    btn.appendChild(make('span', 'ev-exit', exit));
    btn.appendChild(make('span', 'ev-run', num(h.run_time_sec) ? 'ran ' + (h.run_time_sec < 10 ? h.run_time_sec.toFixed(1) + ' s' : dur(h.run_time_sec)) : ''));
    const pre = make('pre', 'stderr mono');
    pre.id = id;
    const lines = [];
    if (h.detail) lines.push(h.detail);
    for (const l of h.stderr || []) lines.push(l);
    pre.textContent = lines.length ? lines.join('\n') : '(no stderr captured)';
    const open = e.open.has(key);
    pre.hidden = !open;
    btn.setAttribute('aria-expanded', String(open));
    btn.addEventListener('click', () => {
      const now = pre.hidden;
      pre.hidden = !now;
      btn.setAttribute('aria-expanded', String(now));
      if (now) e.open.add(key); else e.open.delete(key);
    });
    li.appendChild(btn);
    li.appendChild(pre);
    list.appendChild(li);
  });
}

// ---------- snapshots ----------
function fps(v) { return num(v) ? v.toFixed(1) + ' fps' : '–'; }

/// The newest picture of a running stream (GET …/snapshot.jpg, which never starts
/// one), shown through a blob URL so Bearer tokens work too; one request per card
/// at a time.
async function refreshThumb(e) {
  if (e.thumbBusy || e.s.state !== 'running' || document.visibilityState !== 'visible') return;
  e.thumbBusy = true;
  try {
    const res = await fetch(BASE + 'api/v1/streams/' + encodeURIComponent(e.s.name) + '/snapshot.jpg?width=320',
      { headers: headers({ Accept: 'image/jpeg' }), cache: 'no-store' });
    if (!res.ok || e.s.state !== 'running') return;
    const url = URL.createObjectURL(await res.blob());
    if (e.thumbURL) URL.revokeObjectURL(e.thumbURL);
    e.thumbURL = url;
    e.thumb.src = url;
    e.thumb.dataset.refreshes = String(Number(e.thumb.dataset.refreshes || 0) + 1);
    show(e.thumb, true);
  } catch (err) { /* the next refresh tries again */ } finally { e.thumbBusy = false; }
}
function dropThumb(e) {
  if (e.thumbURL) URL.revokeObjectURL(e.thumbURL);
  e.thumbURL = '';
  e.thumb.removeAttribute('src');
  show(e.thumb, false);
}
function refreshThumbs() { for (const e of streams.values()) refreshThumb(e); }

// ---------- preview ----------
function playlistURL(e) {
  const u = new URL(e.s.hls_url || ('/hls/' + encodeURIComponent(e.s.name) + '/index.m3u8'), BASE);
  const t = token();
  if (t) u.searchParams.set('token', t);
  return u.href;
}

function openPreview(e) {
  const player = e.preview.querySelector('.player'), urlBox = e.preview.querySelector('.url');
  const status = e.preview.querySelector('.pstatus');
  const probe = document.createElement('video');
  if (probe.canPlayType('application/vnd.apple.mpegurl')) {
    const v = document.createElement('video'), url = playlistURL(e);
    let retries = 0;
    v.muted = true; v.autoplay = true; v.controls = true; v.playsInline = true;
    v.dataset.retries = '0';
    v.setAttribute('aria-label', 'Live preview of ' + e.s.name);
    text(status, 'Loading… (an idle stream starts on demand)');
    v.addEventListener('playing', () => text(status, ''));
    // A healthy stream plays on the first try (the gateway serves a playlist every
    // player accepts). Only a real outage — the stream in backoff after its FFmpeg
    // failed — is retried, and the status says why and when.
    v.addEventListener('error', () => {
      if (e.video !== v) return;
      const why = v.error && v.error.message ? v.error.message : 'playback error';
      const s = e.s;
      if (s.state === 'backoff' && retries < 8) {
        retries++;
        v.dataset.retries = String(retries);
        const wait = Math.max(1, Math.ceil(num(s.next_retry_in_sec) ? s.next_retry_in_sec : 2)) + 1;
        text(status, 'The camera is unavailable (' + (s.failure || s.reason || 'FFmpeg failed') + '); the gateway tries again' +
          ' in ' + dur(wait - 1) + ', the preview then too (' + retries + ').');
        setTimeout(() => { if (e.video === v) { v.src = url; v.play().catch(() => {}); } }, wait * 1000);
      } else {
        text(status, 'Cannot play: ' + why + (s.state && s.state !== 'running' ? ' (stream ' + s.state + ')' : ''));
      }
    });
    v.src = url;
    player.replaceChildren(v);
    e.video = v;
    show(urlBox, false);
    v.play().catch(() => { /* autoplay refused: the controls remain */ });
  } else {
    text(status, 'This browser cannot play HLS itself. Open the playlist in a player (VLC, ffplay, Safari):');
    player.replaceChildren();
    text(urlBox.querySelector('code'), playlistURL(e));
    show(urlBox, true);
  }
  show(e.preview, true);
  e.play.setAttribute('aria-expanded', 'true');
  e.play.setAttribute('aria-label', 'Close the preview of stream ' + e.s.name);
  text(e.play, '■ Close preview');
}

function closePreview(e) {
  if (e.video) {
    // Release the player so the gateway sees no more requests and can idle the stream.
    e.video.pause();
    e.video.removeAttribute('src');
    e.video.load();
    e.video.remove();
    e.video = null;
  }
  e.preview.querySelector('.player').replaceChildren();
  text(e.preview.querySelector('.pstatus'), '');
  show(e.preview, false);
  e.play.setAttribute('aria-expanded', 'false');
  e.play.setAttribute('aria-label', 'Preview stream ' + e.s.name);
  text(e.play, '▶ Preview');
}

async function copyURL(e) {
  const code = e.preview.querySelector('.url code'), btn = e.preview.querySelector('.copy');
  try {
    await navigator.clipboard.writeText(code.textContent);
    text(btn, 'Copied');
  } catch (err) {
    const r = document.createRange(); r.selectNodeContents(code);
    const sel = getSelection(); sel.removeAllRanges(); sel.addRange(r);
    text(btn, 'Selected — press Ctrl+C');
  }
  setTimeout(() => text(btn, 'Copy URL'), 2000);
}

// ---------- the live connection ----------
function setConn(state, msg) {
  document.body.dataset.conn = state;
  const el = $('conn');
  el.dataset.state = state;
  text(el, msg);
}

function connect() {
  clearTimeout(retryTimer);
  if (es) es.close();
  es = new EventSource(BASE + 'api/v1/events');
  lastMessage = now();
  es.onopen = () => {
    failures = 0;
    setConn('live', 'live');
    loadSystem();
  };
  es.addEventListener('stream', (m) => { lastMessage = now(); try { onStream(JSON.parse(m.data)); } catch (err) { console.error(err); } });
  es.addEventListener('stats', (m) => { lastMessage = now(); try { onStats(JSON.parse(m.data)); } catch (err) { console.error(err); } });
  es.onerror = () => {
    setConn('retrying', 'disconnected — retrying');
    // CLOSED: the browser gave up (HTTP error, e.g. 401): retry ourselves, slower each time.
    if (es.readyState === EventSource.CLOSED) reconnectSoon();
  };
}

function reconnectSoon() {
  clearTimeout(retryTimer);
  failures++;
  retryTimer = setTimeout(connect, Math.min(30000, 1000 * 2 ** Math.min(failures, 5)));
}

// The gateway sends stats every second: silence means a dead or frozen connection.
function checkAlive() {
  if (es && es.readyState === EventSource.OPEN && now() - lastMessage > 5000) {
    setConn('retrying', 'disconnected — retrying');
    es.close();
    reconnectSoon();
  }
}

// Countdowns and uptimes tick locally between events (no requests).
function tick() {
  if (num(gw.up)) text($('uptime'), dur(gw.up + (now() - gw.at) / 1000));
  for (const e of streams.values()) renderLive(e);
  checkAlive();
}

function initToken() {
  const input = $('token');
  input.value = token();
  $('tokenform').addEventListener('submit', (ev) => {
    ev.preventDefault();
    try { sessionStorage.setItem('vtx-token', input.value.trim()); } catch (err) { /* storage off */ }
    loadSystem();
  });
  $('token-clear').addEventListener('click', () => {
    input.value = '';
    try { sessionStorage.removeItem('vtx-token'); } catch (err) { /* storage off */ }
  });
}

initToken();
setConn('connecting', 'connecting…');
connect();
setInterval(tick, 1000);
setInterval(refreshThumbs, THUMB_MS);
document.addEventListener('visibilitychange', refreshThumbs);
