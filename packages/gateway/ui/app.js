// The topology page: polls /api/v1/topology every second, draws it with cytoscape, shows a
// node's details and recent dead letters, and tails a Broker's events over server-sent events.
import cytoscape from '/ui/assets/cytoscape.esm.min.mjs';

const params = new URLSearchParams(location.search);
if (params.get('token')) sessionStorage.setItem('meshgate-token', params.get('token'));
const token = sessionStorage.getItem('meshgate-token');
const $ = (id) => document.getElementById(id);

// Left to right: what feeds the gateway, the gateway, Brokers, Triggers, where events leave.
const COLUMN = {
  source: 0,
  gateway: 1,
  broker: 2,
  trigger: 3,
  subscriber: 4,
  deadLetterSink: 4,
  sink: 4,
  peer: 2,
};
const KIND_COLOR = {
  gateway: '#1f2a44',
  peer: '#5f3dc4',
  broker: '#3b5bdb',
  trigger: '#0c8599',
  subscriber: '#495057',
  deadLetterSink: '#868e96',
  source: '#2b8a3e',
  sink: '#2b8a3e',
};
const STATE_COLOR = { warning: '#f59f00', error: '#e03131' };

async function api(path) {
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok && res.status !== 503) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const cy = cytoscape({
  container: $('graph'),
  wheelSensitivity: 0.3,
  style: [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'background-color': 'data(color)',
        'border-width': 3,
        'border-color': 'data(border)',
        color: '#1f2933',
        'font-size': 12,
        'text-valign': 'bottom',
        'text-margin-y': 6,
        'text-wrap': 'ellipsis',
        'text-max-width': 160,
        width: 34,
        height: 34,
      },
    },
    { selector: 'node[kind = "gateway"]', style: { shape: 'round-hexagon', width: 46, height: 46 } },
    { selector: 'node[kind = "broker"]', style: { shape: 'round-rectangle', width: 44 } },
    { selector: 'node[kind = "trigger"]', style: { shape: 'diamond' } },
    { selector: 'node[kind = "peer"]', style: { shape: 'round-hexagon', width: 40, height: 40 } },
    { selector: 'node[kind = "source"]', style: { shape: 'round-triangle', width: 38, height: 38 } },
    { selector: 'node[kind = "sink"]', style: { shape: 'round-tag', width: 38, height: 38 } },
    {
      selector: 'node[kind = "subscriber"], node[kind = "deadLetterSink"]',
      style: { shape: 'ellipse', width: 26, height: 26 },
    },
    {
      selector: 'node:selected',
      style: { 'overlay-color': '#3b5bdb', 'overlay-opacity': 0.15, 'overlay-padding': 8 },
    },
    {
      selector: 'edge',
      style: {
        width: 'data(width)',
        'line-color': 'data(color)',
        'target-arrow-color': 'data(color)',
        'target-arrow-shape': 'triangle',
        'curve-style': 'bezier',
        label: 'data(label)',
        'font-size': 11,
        color: '#364152',
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.85,
        'text-background-padding': 2,
      },
    },
  ],
});
window.meshgate = { cy };

let selected;
let layoutKey = '';

function rateLabel(edge) {
  const r = edge.rate >= 10 ? edge.rate.toFixed(0) : edge.rate.toFixed(1);
  const err = edge.errorRate ? ` (${edge.errorRate.toFixed(1)} err)` : '';
  return `${r}/s${err}`;
}

function render(topology) {
  $('gateway-name').textContent = topology.gateway;
  const seen = new Set();
  for (const n of topology.nodes) {
    seen.add(n.id);
    const data = {
      id: n.id,
      kind: n.kind,
      label: n.label,
      state: n.state,
      color: KIND_COLOR[n.kind] ?? '#495057',
      border: STATE_COLOR[n.state] ?? '#ffffff',
      node: n,
    };
    const el = cy.getElementById(n.id);
    if (el.nonempty()) el.data(data);
    else cy.add({ group: 'nodes', data });
  }
  for (const e of topology.edges) {
    seen.add(e.id);
    const failing = (e.errorRate ?? 0) > 0;
    const data = {
      id: e.id,
      source: e.source,
      target: e.target,
      kind: e.kind,
      rate: e.rate,
      label: rateLabel(e),
      width: Math.min(8, 1.5 + Math.log2(1 + e.rate)),
      color: failing ? STATE_COLOR.error : e.kind === 'dead-letter' ? '#adb5bd' : '#8c9bb0',
    };
    const el = cy.getElementById(e.id);
    if (el.nonempty()) el.data(data);
    else if (cy.getElementById(e.source).nonempty() && cy.getElementById(e.target).nonempty())
      cy.add({ group: 'edges', data });
  }
  cy.elements().forEach((el) => {
    if (!seen.has(el.id())) el.remove();
  });
  const key = topology.nodes.map((n) => n.id).join('|');
  if (key !== layoutKey) {
    layoutKey = key;
    layout();
  }
  if (selected) {
    const el = cy.getElementById(selected);
    if (el.nonempty()) showDetails(el.data('node'), false);
  }
}

/**
 * Columns by kind (sources, gateway, brokers, triggers, subscribers); within a column, nodes sit
 * near what feeds them (the mean row of their predecessors), so edges rarely cross.
 */
function layout() {
  const columns = new Map();
  cy.nodes().forEach((n) => {
    const c = COLUMN[n.data('kind')] ?? 4;
    if (!columns.has(c)) columns.set(c, []);
    columns.get(c).push(n);
  });
  const row = new Map();
  for (const c of [...columns.keys()].sort((a, b) => a - b)) {
    const nodes = columns.get(c);
    const weight = (n) => {
      const rows = n
        .incomers('node')
        .map((p) => row.get(p.id()))
        .filter((r) => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
    };
    nodes.sort((a, b) => weight(a) - weight(b) || a.id().localeCompare(b.id()));
    for (const [i, n] of nodes.entries()) {
      const y = (i - (nodes.length - 1) / 2) * 90;
      row.set(n.id(), y);
      n.position({ x: c * 220, y });
    }
  }
  cy.fit(undefined, 40);
}

async function showDetails(node, fresh) {
  $('details-title').textContent =
    `${node.kind} ${node.details.namespace ? `${node.details.namespace}/` : ''}${node.label}`;
  $('details-hint').hidden = true;
  const state = $('details-state');
  state.className = node.state;
  state.textContent = node.state === 'ok' ? '' : `${node.state}: ${node.reason ?? ''}`;
  const counters = node.details.counters;
  const rows = [];
  if (counters) {
    for (const [k, v] of Object.entries(counters)) {
      const value = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '-');
      rows.push(`<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(value)}</td></tr>`);
    }
  }
  $('counters').innerHTML = rows.join('');
  $('counters-title').hidden = rows.length === 0;
  const { counters: _c, ...config } = node.details;
  $('config').textContent = JSON.stringify(config, null, 2);
  $('config').hidden = false;
  $('config-title').hidden = false;
  if (node.kind === 'trigger' && (fresh || counters?.deadLettered > 0)) {
    const key = `${node.details.namespace}/${node.details.name}`;
    const { items } = await api(`/api/v1/deadletters?trigger=${encodeURIComponent(key)}`);
    $('deadletters-title').hidden = false;
    $('deadletters').innerHTML = items.length
      ? items
          .slice(0, 20)
          .map(
            (d) =>
              `<li><b>${escapeHtml(String(d.event.attributes.type))}</b> ${escapeHtml(String(d.event.attributes.id))}<br><span class="muted">${escapeHtml(d.at)}: ${escapeHtml(d.error)}</span></li>`,
          )
          .join('')
      : '<li class="muted">none</li>';
  } else if (node.kind !== 'trigger') {
    $('deadletters-title').hidden = true;
    $('deadletters').innerHTML = '';
  }
}

cy.on('tap', 'node', (evt) => {
  selected = evt.target.id();
  showDetails(evt.target.data('node'), true).catch(showError);
  const kind = evt.target.data('kind');
  if (kind === 'broker')
    $('tail-broker').value =
      evt.target.data('node').details.namespace + '/' + evt.target.data('node').details.name;
});

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function showError(err) {
  const banner = $('error-banner');
  banner.hidden = !err;
  banner.textContent = err ? String(err.message ?? err) : '';
}

function fillBrokers(topology) {
  const select = $('tail-broker');
  const brokers = topology.nodes
    .filter((n) => n.kind === 'broker')
    .map((n) => `${n.details.namespace}/${n.details.name}`);
  const current = [...select.options].map((o) => o.value);
  if (brokers.join() === current.join()) return;
  const value = select.value;
  select.innerHTML = brokers.map((b) => `<option>${escapeHtml(b)}</option>`).join('');
  if (brokers.includes(value)) select.value = value;
}

async function poll() {
  try {
    const [topology, readiness] = await Promise.all([api('/api/v1/topology'), api('/api/v1/readiness')]);
    render(topology);
    fillBrokers(topology);
    const pill = $('readiness');
    pill.textContent = readiness.ready ? 'ready' : 'not ready';
    pill.className = `pill ${readiness.ready ? 'ready' : 'not-ready'}`;
    pill.title = readiness.reasons.join('\n') || 'ready';
    $('updated').textContent = `updated ${new Date(topology.at).toLocaleTimeString()}`;
    showError(undefined);
  } catch (err) {
    showError(err);
  }
}

// Live tail.
let source;
const MAX_TAIL = 500;

function stopTail() {
  source?.close();
  source = undefined;
  $('tail-start').disabled = false;
  $('tail-stop').disabled = true;
}

function startTail(broker, filter) {
  stopTail();
  const [ns, name] = broker.split('/');
  const q = new URLSearchParams({ data: 'true' });
  if (filter) q.set('cesql', filter);
  if (token) q.set('access_token', token);
  const url = `/api/v1/brokers/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/events?${q}`;
  const status = $('tail-status');
  // Check the filter first: EventSource hides the error body of a 400.
  fetch(url, { headers: { accept: 'application/json' } }).then(async (res) => {
    if (res.status !== 200) {
      status.textContent = (await res.json().catch(() => ({}))).error ?? `error ${res.status}`;
      res.body?.cancel();
      return;
    }
    res.body?.cancel();
    source = new EventSource(url);
    $('tail-start').disabled = true;
    $('tail-stop').disabled = false;
    status.textContent = `tailing ${broker}${filter ? ` where ${filter}` : ''}`;
    source.addEventListener('cloudevent', (m) => addTailEvent(JSON.parse(m.data)));
    source.addEventListener('dropped', (m) => {
      status.textContent = `tailing ${broker}: ${JSON.parse(m.data).dropped} events dropped (too fast to show)`;
    });
    source.onerror = () => {
      status.textContent = 'connection lost; reconnecting…';
    };
    source.onopen = () => {
      status.textContent = `tailing ${broker}${filter ? ` where ${filter}` : ''}`;
    };
  });
}

function addTailEvent(e) {
  const a = e.attributes;
  const li = document.createElement('li');
  li.className = 'event';
  const time = a.time ? new Date(a.time).toLocaleTimeString() : new Date().toLocaleTimeString();
  const data = e.data !== undefined ? e.data : e.dataBase64 !== undefined ? `(base64) ${e.dataBase64}` : '';
  li.innerHTML = `<span class="muted">${escapeHtml(time)}</span> <span class="type">${escapeHtml(String(a.type))}</span> ${escapeHtml(String(a.source))} <span class="muted">id=${escapeHtml(String(a.id))}${a.subject ? ` subject=${escapeHtml(String(a.subject))}` : ''}</span> <span class="data">${escapeHtml(data.slice(0, 300))}</span>`;
  const list = $('tail-list');
  list.prepend(li);
  while (list.children.length > MAX_TAIL) list.lastElementChild.remove();
}

$('tail-form').addEventListener('submit', (evt) => {
  evt.preventDefault();
  const broker = $('tail-broker').value;
  if (broker) startTail(broker, $('tail-filter').value.trim());
});
$('tail-stop').addEventListener('click', stopTail);
$('tail-clear').addEventListener('click', () => {
  $('tail-list').innerHTML = '';
});

poll();
setInterval(poll, 1000);
