// The Relay console page: one ES module, no build step. It renders the live snapshot the console
// pushes over SSE (flow, lag, dead-letter counts) and calls the JSON API for the rest. Every request
// carries the operator's token (sessionStorage) as a bearer token; the stream is read with fetch
// rather than EventSource because EventSource cannot send an Authorization header.

const TOKEN_KEY = 'relay-console-token';
const RECONNECT_MS = 2000;

const state = {
  snapshot: null,
  /** The dead-letter topic on show: { group, sourceTopic }. */
  dlq: null,
  /** How many records were parked when its list was last read, and whether a read is under way. */
  dlqListedTotal: undefined,
  dlqLoading: false,
  /** Replayed records waiting to be applied: { group, topic, partition, offset, from }. */
  replays: [],
  charts: new Map(),
};

// ---- helpers -------------------------------------------------------------------------------

/** Builds an element; children are nodes or text (never parsed as HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'className') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const $ = (selector) => document.querySelector(selector);
/** replaceChildren, skipping absent children (null, undefined, false) as h() does. */
const fill = (element, ...children) => element.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const number = (value, digits = 0) => (value === null || value === undefined ? '–' : Number(value).toLocaleString('en', { maximumFractionDigits: digits }));
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString('en-GB', { hour12: false }) + '.' + String(new Date(iso).getMilliseconds()).padStart(3, '0') : '–');

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Calls the console's API; rejects with the server's message on an error answer. */
async function api(path, options = {}) {
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers: { ...authHeaders(), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(response.status === 401 || response.status === 403 ? refusal(response) : (body?.message ?? `${response.status} ${response.statusText}`));
  return body;
}

/** What to tell the operator when the API refuses: the console's API needs an admin token. */
function refusal(response) {
  if (response.status === 401) return 'an admin token is needed: paste one at the top right (npm run -s ops -- token --role admin)';
  if (response.status === 403) return 'this token lacks the admin role (npm run -s ops -- token --role admin)';
  return `${response.status} ${response.statusText}`;
}

// ---- navigation ----------------------------------------------------------------------------

function showView() {
  const view = (location.hash || '#flow').slice(1);
  for (const section of document.querySelectorAll('[data-view]')) section.hidden = section.dataset.view !== view;
  for (const link of document.querySelectorAll('[data-view-link]')) link.classList.toggle('active', link.dataset.viewLink === view);
  if (view === 'lag') renderLag();
}

// ---- live stream ---------------------------------------------------------------------------

async function streamLive() {
  for (;;) {
    try {
      const response = await fetch('/api/live/stream', { headers: { ...authHeaders(), accept: 'text/event-stream' } });
      if (!response.ok || !response.body) throw new Error(refusal(response));
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (data) onSnapshot(JSON.parse(data));
        }
      }
      throw new Error('stream ended');
    } catch (error) {
      const status = $('#live-status');
      status.textContent = `disconnected (${error.message}); retrying…`;
      status.classList.add('down');
    }
    await sleep(RECONNECT_MS);
  }
}

function onSnapshot(snapshot) {
  state.snapshot = snapshot;
  const status = $('#live-status');
  status.textContent = `live · ${time(snapshot.at)}`;
  status.classList.remove('down');
  status.dataset.at = snapshot.at;
  const problems = $('#problems');
  problems.hidden = snapshot.problems.length === 0;
  fill(problems, ...snapshot.problems.map((problem) => h('div', {}, problem)));
  renderFlow();
  renderLag();
  renderDeadLetterTopics();
  refreshDeadLettersIfChanged();
  renderReplays();
}

// ---- flow ----------------------------------------------------------------------------------

function renderFlow() {
  const { services, groups } = state.snapshot;
  const groupOf = (name) => groups.find((group) => group.group === name);
  fill($('#flow'),
    ...services.map((service) => {
      const topic = service.publishes[0] ?? '';
      const consumers = services.filter((other) => other.consumes.includes(topic));
      return h(
        'div',
        { className: 'flow-row', 'data-service': service.id },
        h(
          'div',
          { className: 'card' },
          h('strong', {}, service.id),
          ' ',
          h('span', { className: 'mono' }, `group ${service.group}`),
          h('div', {}, ...service.instances.map((instance) => h('span', { className: `instance${instance.up ? '' : ' down'}`, title: `${instance.url} ${instance.up ? 'up' : 'not answering'}` })), ` ${service.instances.filter((i) => i.up).length}/${service.instances.length} instances`),
          h(
            'dl',
            { className: 'metrics' },
            h('dt', {}, 'events in /s'),
            h('dd', { 'data-metric': 'in' }, number(service.eventsInPerSecond, 1)),
            h('dt', {}, 'events out /s'),
            h('dd', { 'data-metric': 'out' }, number(service.eventsOutPerSecond, 1)),
            h('dt', {}, 'outbox backlog'),
            h('dd', { 'data-metric': 'backlog' }, number(service.outboxBacklog)),
            h('dt', {}, 'oldest unpublished'),
            h('dd', { 'data-metric': 'oldest' }, service.outboxOldestAgeSeconds === null ? '–' : `${number(service.outboxOldestAgeSeconds, 1)} s`),
            h('dt', {}, 'consumes'),
            h('dd', { className: 'mono' }, service.consumes.join(', ') || '–'),
          ),
        ),
        h('div', { className: 'arrow' }, '→'),
        h('div', { className: 'topic' }, topic),
        h('div', { className: 'arrow' }, '→'),
        h(
          'div',
          { className: 'consumers' },
          consumers.length === 0 ? h('span', { className: 'hint' }, 'no group reads it') : null,
          ...consumers.map((consumer) => {
            const group = groupOf(consumer.group);
            const lag = group?.partitions.filter((p) => p.topic === topic).reduce((sum, p) => sum + Number(p.lag), 0) ?? null;
            return h('div', { className: `card${group?.stalled ? ' stalled' : ''}` }, h('strong', {}, consumer.id), ` (${consumer.group}) lag ${number(lag)}`);
          }),
        ),
      );
    }),
  );
}

// ---- lag -----------------------------------------------------------------------------------

function renderLag() {
  if (!state.snapshot || $('#view-lag').hidden) return;
  const container = $('#lag');
  const seen = new Set();
  for (const group of state.snapshot.groups) {
    seen.add(group.group);
    let card = container.querySelector(`[data-group="${CSS.escape(group.group)}"]`);
    if (!card) {
      card = h('div', { className: 'card', 'data-group': group.group }, h('div', { className: 'lag-head' }), h('div', { className: 'partitions' }));
      const chart = h('div', { className: 'sparkline' });
      card.querySelector('.lag-head').after(chart);
      container.append(card);
      state.charts.set(
        group.group,
        new uPlot(
          {
            width: 320,
            height: 60,
            cursor: { show: false },
            legend: { show: false },
            axes: [{ show: false }, { show: false }],
            scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
            padding: [4, 2, 2, 2],
            series: [{}, { stroke: '#2563eb', fill: 'rgba(37,99,235,0.12)', width: 1.5, points: { show: false } }],
          },
          [[], []],
          chart,
        ),
      );
    }
    card.classList.toggle('stalled', group.stalled);
    card.dataset.stalled = String(group.stalled);
    fill(card.querySelector('.lag-head'),
      h('strong', {}, group.group),
      h('span', {}, `${group.service} · ${group.state} · ${group.members} member${group.members === 1 ? '' : 's'}`),
      h('span', {}, 'lag ', h('span', { className: 'total total-lag', 'data-total-lag': group.totalLag }, number(group.totalLag))),
      group.stalled ? h('span', { className: 'badge bad' }, `not moving since ${time(group.stalledSince)}`) : null,
    );
    state.charts.get(group.group).setData([group.history.times, group.history.lags]);
    fill(card.querySelector('.partitions'),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, 'topic'), h('th', { className: 'num' }, 'partition'), h('th', { className: 'num' }, 'committed'), h('th', { className: 'num' }, 'end'), h('th', { className: 'num' }, 'lag'), h('th', {}, 'owner'))),
        h(
          'tbody',
          {},
          ...group.partitions.map((p) =>
            h(
              'tr',
              { 'data-partition': `${p.topic}:${p.partition}` },
              h('td', { className: 'mono' }, p.topic),
              h('td', { className: 'num' }, p.partition),
              h('td', { className: 'num', title: p.committedOffset === '-1' ? 'nothing committed yet' : '' }, p.committedOffset === '-1' ? '—' : p.committedOffset),
              h('td', { className: 'num' }, p.endOffset),
              h('td', { className: 'num' }, number(p.lag)),
              h('td', { className: 'mono', title: p.owner?.memberId ?? '' }, p.owner ? `${p.owner.clientId} ${p.owner.host} …${p.owner.memberId.slice(-6)}` : '– (no owner)'),
            ),
          ),
        ),
      ),
    );
  }
  for (const card of [...container.children]) {
    if (!seen.has(card.dataset.group)) {
      state.charts.get(card.dataset.group)?.destroy();
      state.charts.delete(card.dataset.group);
      card.remove();
    }
  }
}

// ---- dead letters --------------------------------------------------------------------------

function renderDeadLetterTopics() {
  const topics = state.snapshot.deadLetters;
  const chips = $('#dlq-topics');
  if (topics.length === 0) {
    fill(chips, h('p', { className: 'hint' }, 'No dead-letter topics: no group has parked anything.'));
    return;
  }
  fill(chips,
    ...topics.map((topic) =>
      h(
        'button',
        {
          type: 'button',
          'data-dlq': topic.dlqTopic,
          className: state.dlq?.group === topic.group && state.dlq?.sourceTopic === topic.sourceTopic ? 'active' : '',
          onclick: () => selectDeadLetters({ group: topic.group, sourceTopic: topic.sourceTopic }),
        },
        `${topic.group} ← ${topic.sourceTopic}: `,
        h('span', { 'data-parked': topic.parked }, number(topic.parked)),
        ' parked',
      ),
    ),
  );
}

async function selectDeadLetters(source) {
  state.dlq = source;
  renderDeadLetterTopics();
  $('#dlq-actions').hidden = false;
  $('#dlq-record').hidden = true;
  await loadDeadLetters();
}

/**
 * The listed records follow the live count: when more are parked (or some purged) while a group is
 * selected, the list is read again, one read at a time.
 */
function refreshDeadLettersIfChanged() {
  if (!state.dlq || state.dlqLoading) return;
  const topic = state.snapshot.deadLetters.find((candidate) => candidate.group === state.dlq.group && candidate.sourceTopic === state.dlq.sourceTopic);
  if (topic !== undefined && topic.parked !== state.dlqListedTotal) void loadDeadLetters();
}

async function loadDeadLetters() {
  const source = state.dlq;
  const { group, sourceTopic } = source;
  const records = $('#dlq-records');
  state.dlqLoading = true;
  try {
    const list = await api(`/api/dead-letters?group=${encodeURIComponent(group)}&sourceTopic=${encodeURIComponent(sourceTopic)}`);
    // Another group was chosen while this one was read: its own read fills the list.
    if (state.dlq !== source) return;
    state.dlqListedTotal = list.total;
    fill(records,
      h('p', {}, `${list.total} record${list.total === 1 ? '' : 's'} on ${list.dlqTopic}`),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...['position', 'key', 'event', 'reason', 'attempts', 'origin', 'first failure', 'last failure', ''].map((title) => h('th', {}, title)))),
        h(
          'tbody',
          {},
          ...list.records.map((record) => {
            const position = `${record.partition}:${record.offset}`;
            return h(
              'tr',
              { 'data-position': position, 'data-event-id': record.eventId ?? '' },
              h('td', { className: 'mono' }, position),
              h('td', { className: 'mono' }, record.key ?? '–'),
              h('td', {}, record.eventType ?? 'not an event', h('br'), h('span', { className: 'mono' }, record.eventId ?? '')),
              h('td', {}, h('strong', {}, record.errorClass ?? 'unknown'), ': ', record.errorMessage ?? ''),
              h('td', { className: 'num' }, record.attempts ?? '–'),
              h('td', { className: 'mono' }, record.original ? `${record.original.topic} ${record.original.partition ?? '?'}:${record.original.offset ?? '?'}` : 'unknown'),
              h('td', {}, time(record.firstFailureAt)),
              h('td', {}, time(record.lastFailureAt ?? record.parkedAt)),
              h(
                'td',
                {},
                h('button', { type: 'button', 'data-action': 'show', onclick: () => showRecord(record) }, 'Show'),
                ' ',
                h('button', { type: 'button', 'data-action': 'replay', onclick: () => replay({ positions: [position] }, `Replay ${record.eventType ?? 'the record'} at ${position} to ${sourceTopic}?`) }, 'Replay'),
              ),
            );
          }),
        ),
      ),
    );
  } catch (error) {
    // Shown, and not read again until the count changes or the group is chosen again.
    const topic = state.snapshot?.deadLetters.find((candidate) => candidate.group === group && candidate.sourceTopic === sourceTopic);
    state.dlqListedTotal = topic?.parked;
    if (state.dlq === source) fill(records, h('div', { className: 'result error' }, error.message));
  } finally {
    state.dlqLoading = false;
  }
}

function showRecord(record) {
  const pre = $('#dlq-record');
  let value = record.value;
  try {
    value = JSON.stringify(JSON.parse(record.value), null, 2);
  } catch {
    // Not JSON: shown as it is.
  }
  pre.textContent = `${record.dlqTopic} ${record.partition}:${record.offset}\n\nheaders:\n${JSON.stringify(record.headers, null, 2)}\n\nvalue:\n${value}`;
  pre.hidden = false;
}

function showResult(text, isError = false) {
  const result = $('#dlq-result');
  result.hidden = false;
  result.className = `result${isError ? ' error' : ''}`;
  result.textContent = text;
}

async function replay(selection, question) {
  if (!confirm(question)) return;
  const { group, sourceTopic } = state.dlq;
  try {
    const result = await api('/api/dead-letters/replay', { method: 'POST', body: { group, sourceTopic, ...selection } });
    for (const record of result.replayed) {
      if (record.to) state.replays.push({ group, from: record.from, eventType: record.eventType, ...record.to });
    }
    const skipped = result.skipped.map((entry) => `skipped ${entry.from}: ${entry.reason}`);
    showResult([`replayed ${result.replayed.length} record(s) to ${sourceTopic}`, ...skipped].join('\n'));
    renderReplays();
  } catch (error) {
    showResult(`replay failed: ${error.message}`, true);
  }
}

/** Each replayed record until its group has consumed past it (then it is applied, once). */
function renderReplays() {
  if (state.replays.length === 0 || !state.snapshot) return;
  const lines = state.replays.map((replayed) => {
    const group = state.snapshot.groups.find((candidate) => candidate.group === replayed.group);
    const partition = group?.partitions.find((p) => p.topic === replayed.topic && p.partition === replayed.partition);
    const applied = partition !== undefined && BigInt(partition.committedOffset) > BigInt(replayed.offset);
    return h(
      'div',
      { 'data-replay': replayed.from, 'data-replay-status': applied ? 'applied' : 'pending' },
      applied ? h('span', { className: 'badge good' }, 'applied') : h('span', { className: 'badge' }, 'waiting'),
      ` ${replayed.eventType ?? 'record'} from ${replayed.from} → ${replayed.topic} ${replayed.partition}:${replayed.offset}: `,
      applied ? `${replayed.group} has consumed it` : `waiting for ${replayed.group} to consume it`,
    );
  });
  let box = $('#dlq-replays');
  if (!box) {
    box = h('div', { id: 'dlq-replays', className: 'result' });
    $('#dlq-result').after(box);
  }
  fill(box, ...lines);
}

$('#dlq-replay-all').addEventListener('click', () => replay({ all: true }, `Replay every record parked by ${state.dlq.group} to ${state.dlq.sourceTopic}?`));
$('#dlq-purge').addEventListener('click', async () => {
  const { group, sourceTopic } = state.dlq;
  if (!confirm(`Delete every record parked by ${group} for ${sourceTopic}? This cannot be undone.`)) return;
  try {
    const result = await api('/api/dead-letters/purge', { method: 'POST', body: { group, sourceTopic } });
    showResult(`purged ${result.deleted} record(s) from ${result.dlqTopic}`);
    await loadDeadLetters();
  } catch (error) {
    showResult(`purge failed: ${error.message}`, true);
  }
});

// ---- audit ---------------------------------------------------------------------------------

$('#audit-run').addEventListener('click', async () => {
  const report = $('#audit-report');
  const button = $('#audit-run');
  button.disabled = true;
  fill(report, h('p', { 'data-audit': 'running' }, 'running the audit…'));
  try {
    const result = await api('/api/audit', { method: 'POST' });
    fill(report,
      h('p', { 'data-audit-verdict': result.ok ? 'ok' : 'gaps' }, h('span', { className: `badge ${result.ok ? 'good' : 'bad'}` }, result.verdict), ` in ${number(result.durationMs / 1000, 1)} s, started ${time(result.startedAt)}`),
      ...result.checks.map((check) =>
        h(
          'div',
          { className: `card${check.ok ? '' : ' stalled'}`, 'data-check': check.id },
          h('strong', {}, check.title),
          ' ',
          h('span', { className: `badge ${check.ok ? 'good' : 'bad'}` }, check.ok ? 'ok' : 'gaps'),
          h('div', {}, check.summary),
          ...[...check.gaps, ...check.notes]
            .filter((finding) => finding.count > 0)
            .map((finding) => h('details', {}, h('summary', {}, `${finding.count} ${finding.description}`), h('pre', { className: 'mono' }, JSON.stringify(finding.examples, null, 2)))),
        ),
      ),
    );
  } catch (error) {
    fill(report, h('div', { className: 'result error' }, `audit failed: ${error.message}`));
  } finally {
    button.disabled = false;
  }
});

// ---- an order's story ----------------------------------------------------------------------

$('#order-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const orderId = $('#order-id').value.trim();
  const story = $('#order-story');
  fill(story, h('p', {}, 'reading the topics…'));
  try {
    const result = await api(`/api/orders/${encodeURIComponent(orderId)}/story`);
    fill(story, renderStory(result));
  } catch (error) {
    fill(story, h('div', { className: 'result error' }, error.message));
  }
});

function renderStory(story) {
  const row = (label, value) => h('tr', {}, h('th', {}, label), h('td', {}, value ?? '–'));
  return h(
    'div',
    { 'data-story': story.orderId },
    h('h3', {}, 'Events'),
    story.events.length === 0
      ? h('p', { className: 'hint' }, 'No event of this order on the topics.')
      : h(
          'ol',
          { className: 'timeline' },
          ...story.events.map((event) =>
            h(
              'li',
              { 'data-story-event': event.type ?? 'unknown', 'data-topic': event.topic },
              h('span', { className: 'when' }, time(event.publishedAt)),
              h('strong', {}, event.type ?? 'undecodable message'),
              ` on `,
              h('span', { className: 'mono' }, `${event.topic} ${event.partition}:${event.offset}`),
              ` by ${event.producer ?? 'unknown producer'}`,
              h('div', {}, ...event.consumedBy.map((entry) => h('span', { className: `badge ${entry.consumed ? 'good' : ''}`, 'data-consumed-by': entry.group }, `${entry.group} ${entry.consumed ? 'applied' : 'not yet'}`)), ' '),
            ),
          ),
        ),
    h(
      'div',
      { className: 'columns' },
      h(
        'div',
        { className: 'card' },
        h('h3', {}, 'Orders: status history'),
        story.order
          ? h('ol', { className: 'timeline' }, ...story.order.statusHistory.map((entry) => h('li', { 'data-status': entry.to }, h('span', { className: 'when' }, time(entry.at)), h('strong', {}, entry.to), entry.from ? ` from ${entry.from}` : '', entry.cause ? ` (${entry.cause})` : '')))
          : h('p', { className: 'hint' }, 'no order row'),
        story.order ? h('p', {}, 'now: ', h('strong', { 'data-order-status': story.order.status }, story.order.status)) : null,
      ),
      h(
        'div',
        { className: 'card' },
        h('h3', {}, 'Inventory: reservation'),
        story.reservation ? h('table', {}, row('status', story.reservation.status), row('reason', story.reservation.reason ? JSON.stringify(story.reservation.reason) : null), row('lines', JSON.stringify(story.reservation.lines))) : h('p', { className: 'hint' }, 'no reservation'),
      ),
      h(
        'div',
        { className: 'card' },
        h('h3', {}, 'Delivery'),
        story.delivery
          ? h('table', {}, row('status', story.delivery.status), row('stock', story.delivery.stockStatus), row('date', story.delivery.deliveryDate), row('window', story.delivery.timeWindow), row('cancelled because', story.delivery.cancelReason))
          : h('p', { className: 'hint' }, 'no delivery'),
      ),
    ),
  );
}

// ---- token ---------------------------------------------------------------------------------

$('#token').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
$('#token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('#token').value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  // Start again with the new token: the live stream and the view reconnect at once.
  location.reload();
});

window.addEventListener('hashchange', showView);
showView();
void streamLive();
