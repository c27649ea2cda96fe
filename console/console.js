// The Skein web console: polls the admin port's JSON (/api/overview, /api/groups) every two
// seconds and renders with one innerHTML per table (fast with 1,000 partitions: the topic
// table has one row per topic; partitions are rendered for the selected topic only). The
// throughput chart is computed here from successive cumulative byte counts. No framework,
// no build step.

const POLL_MS = 2000;
const HISTORY = 60; // points per topic: two minutes at one poll every two seconds
const history = new Map(); // topic → [{ t, bytesIn }]
let selectedTopic = null;
let lastOverview = null;

const $ = (selector) => document.querySelector(selector);
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : n < 1073741824 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / 1073741824).toFixed(2)} GiB`);

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function rateOf(points) {
  if (points.length < 2) return 0;
  const a = points[points.length - 2];
  const b = points[points.length - 1];
  return b.t > a.t ? Math.max(0, ((b.bytesIn - a.bytesIn) * 1000) / (b.t - a.t)) : 0;
}

function sparkline(points) {
  const rates = [];
  for (let i = 1; i < points.length; i++) rates.push(rateOf(points.slice(i - 1, i + 1)));
  const canvas = document.createElement('canvas');
  canvas.width = 160;
  canvas.height = 28;
  canvas.className = 'spark';
  const ctx = canvas.getContext('2d');
  const max = Math.max(1, ...rates);
  ctx.strokeStyle = '#2f6fb3';
  ctx.beginPath();
  rates.forEach((r, i) => {
    const x = (i / Math.max(1, HISTORY - 1)) * canvas.width;
    const y = canvas.height - 2 - (r / max) * (canvas.height - 4);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
  return canvas;
}

function renderTopics(overview) {
  const rows = [];
  for (const t of overview.topics) {
    if (t.internal) continue;
    let records = 0;
    let size = 0;
    for (const p of t.partitions) {
      records += p.highWatermark - p.logStartOffset;
      size += p.sizeBytes;
    }
    const points = history.get(t.name) ?? [];
    rows.push(
      `<tr class="clickable${t.name === selectedTopic ? ' selected' : ''}" data-topic="${escape(t.name)}"><td>${escape(t.name)}</td><td class="num">${t.partitions.length}</td>` +
        `<td class="num records">${records}</td><td class="num">${bytes(size)}</td><td class="num rate">${bytes(Math.round(rateOf(points)))}/s</td><td class="chart"></td></tr>`,
    );
  }
  const body = $('#topics tbody');
  body.innerHTML = rows.join('') || '<tr><td colspan="6">no topics yet</td></tr>';
  for (const row of body.querySelectorAll('tr[data-topic]')) {
    row.querySelector('.chart').append(sparkline(history.get(row.dataset.topic) ?? []));
    row.addEventListener('click', () => selectTopic(row.dataset.topic));
  }
  renderPartitions(overview);
}

function renderPartitions(overview) {
  const box = $('#partitions');
  const topic = overview.topics.find((t) => t.name === selectedTopic);
  if (!topic) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  $('#partitions-topic').textContent = topic.name;
  box.querySelector('tbody').innerHTML = topic.partitions
    .map(
      (p) =>
        `<tr data-partition="${p.partition}"><td class="num">${p.partition}</td><td class="num">${p.logStartOffset}</td><td class="num">${p.highWatermark}</td>` +
        `<td class="num">${p.highWatermark - p.logStartOffset}</td><td class="num">${bytes(p.sizeBytes)}</td><td class="num">${p.segments}</td>` +
        `<td><a href="#" data-browse="${p.partition}">browse</a></td></tr>`,
    )
    .join('');
  for (const link of box.querySelectorAll('a[data-browse]')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      $('#browse-topic').value = topic.name;
      $('#browse-partition').value = link.dataset.browse;
      $('#browse-offset').value = topic.partitions[Number(link.dataset.browse)]?.logStartOffset ?? 0;
      browse();
    });
  }
}

function selectTopic(name) {
  selectedTopic = selectedTopic === name ? null : name;
  if (lastOverview) renderTopics(lastOverview);
}

function renderGroups(data) {
  const html = data.groups.map((g) => {
    const owner = new Map();
    for (const m of g.members) for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}/${p}`, m.clientId || m.memberId);
    const members = g.members.length
      ? `<ul>${g.members.map((m) => `<li>${escape(m.clientId)} <small>${escape(m.memberId)}</small> @ ${escape(m.clientHost)}: ${m.assignment.map((a) => `${escape(a.topic)} [${a.partitions.join(', ')}]`).join('; ') || 'no partitions'}</li>`).join('')}</ul>`
      : '<p>no active members</p>';
    const offsets = g.offsets
      .map((o) => `<tr data-group="${escape(g.groupId)}" data-topic="${escape(o.topic)}" data-partition="${o.partition}"><td>${escape(o.topic)}</td><td class="num">${o.partition}</td><td class="num">${o.committedOffset}</td><td class="num">${o.logEndOffset}</td><td class="num lag${o.lag > 1000 ? ' lag-high' : ''}">${o.lag}</td><td>${escape(owner.get(`${o.topic}/${o.partition}`) ?? '-')}</td></tr>`)
      .join('');
    return (
      `<div class="group" data-group="${escape(g.groupId)}"><h3>${escape(g.groupId)} <small>${escape(g.state)}${g.protocol ? `, ${escape(g.protocol)}` : ''}, generation ${g.generationId}, total lag <span class="total-lag">${g.totalLag}</span></small></h3>${members}` +
      `<table><thead><tr><th>topic</th><th>partition</th><th>committed</th><th>end</th><th>lag</th><th>member</th></tr></thead><tbody>${offsets || '<tr><td colspan="6">no committed offsets</td></tr>'}</tbody></table></div>`
    );
  });
  $('#groups').innerHTML = html.join('') || '<p>no consumer groups yet</p>';
}

function decode(base64) {
  if (base64 === null) return null;
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function show(bytesValue, format) {
  if (bytesValue === null) return '<i>null</i>';
  if (format === 'hex') return escape([...bytesValue].map((b) => b.toString(16).padStart(2, '0')).join(' '));
  const text = new TextDecoder().decode(bytesValue);
  if (format === 'json') {
    try {
      return escape(JSON.stringify(JSON.parse(text), null, 2));
    } catch {
      return `${escape(text)} <small>(not JSON)</small>`;
    }
  }
  return escape(text);
}

async function browse() {
  const topic = $('#browse-topic').value.trim();
  const partition = $('#browse-partition').value || '0';
  const offset = $('#browse-offset').value || '0';
  const format = $('#browse-format').value;
  const info = $('#browse-info');
  const body = $('#messages tbody');
  try {
    const data = await getJson(`/api/messages?topic=${encodeURIComponent(topic)}&partition=${partition}&offset=${offset}&limit=100`);
    info.textContent = `${data.topic} partition ${data.partition}: offsets ${data.logStartOffset} to ${data.highWatermark - 1}, showing ${data.records.length}`;
    body.innerHTML = data.records
      .map((r) => {
        const headers = r.headers.map((h) => `${escape(h.key)}=${h.value === null ? 'null' : escape(new TextDecoder().decode(decode(h.value)))}`).join(', ');
        return `<tr data-offset="${r.offset}"><td class="num">${r.offset}</td><td>${new Date(r.timestamp).toISOString()}</td><td class="value key">${show(decode(r.key), 'text')}</td><td class="headers">${headers}</td><td class="value">${show(decode(r.value), format)}</td></tr>`;
      })
      .join('');
  } catch (err) {
    info.textContent = `cannot read: ${err.message}`;
    body.innerHTML = '';
  }
}

async function poll() {
  const status = $('#status');
  try {
    const [ready, overview, groups] = await Promise.all([fetch('/ready', { cache: 'no-store' }), getJson('/api/overview'), getJson('/api/groups')]);
    status.textContent = ready.ok ? 'ready' : 'not ready';
    status.className = `status ${ready.ok ? 'ready' : 'down'}`;
    for (const t of overview.topics) {
      const points = history.get(t.name) ?? [];
      points.push({ t: overview.time, bytesIn: overview.traffic[t.name]?.bytesIn ?? 0 });
      if (points.length > HISTORY) points.shift();
      history.set(t.name, points);
    }
    lastOverview = overview;
    const own = overview.topics.filter((t) => !t.internal);
    const partitions = own.reduce((n, t) => n + t.partitions.length, 0);
    $('#summary').textContent = `${own.length} topic${own.length === 1 ? '' : 's'}, ${partitions} partition${partitions === 1 ? '' : 's'}, ${overview.connections} connection${overview.connections === 1 ? '' : 's'}`;
    renderTopics(overview);
    renderGroups(groups);
    document.body.dataset.loaded = 'true';
  } catch (err) {
    status.textContent = `unreachable (${err.message})`;
    status.className = 'status down';
  }
}

$('#browse').addEventListener('submit', (event) => {
  event.preventDefault();
  browse();
});
$('#browse-format').addEventListener('change', () => {
  if ($('#browse-topic').value) browse();
});
poll();
setInterval(poll, POLL_MS);
