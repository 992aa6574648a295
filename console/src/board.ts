// The supervisors' live board: SLA alerts as they fire (acknowledge), the cases closest to a
// breach (force-assign, transfer), queues, agents (presence, load of capacity, per channel) and
// today's attainment.

import { ApiError, get, post } from './api';
import { duration, h, mount, time, toast } from './dom';
import { customerLabel } from './queue';
import { badge, left, stamp } from './sla';
import type { Agent, Alert, CaseSummary, MetricRow, QueueView } from './types';

export interface BoardData {
  alerts: Alert[];
  active: CaseSummary[];
  queues: QueueView[];
  agents: Agent[];
  metrics: MetricRow[];
}

let metrics: { at: number; rows: MetricRow[] } = { at: 0, rows: [] };

function midnight(): string {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

export async function loadBoard(): Promise<{ data: BoardData; changed: boolean }> {
  const [alerts, active, queues, agents] = await Promise.all([
    get<{ alerts: Alert[] }>('/v1/alerts?limit=50'),
    get<{ cases: CaseSummary[] }>('/v1/cases?status=new,open,pending&limit=200'),
    get<{ queues: QueueView[] }>('/v1/queues'),
    get<{ agents: Agent[] }>('/v1/agents'),
  ]);
  // Attainment moves slowly: once a minute is enough.
  if (performance.now() - metrics.at > 60_000 || metrics.at === 0) {
    const m = await get<{ rows: MetricRow[] }>(`/v1/metrics/sla?from=${encodeURIComponent(midnight())}&by=queue`);
    metrics = { at: performance.now(), rows: m.body.rows };
  }
  stamp(active.body.cases);
  return {
    data: {
      alerts: alerts.body.alerts,
      active: active.body.cases,
      queues: queues.body.queues,
      agents: agents.body.agents,
      metrics: metrics.rows,
    },
    changed: true,
  };
}

async function act(path: string, body: unknown, done: string, again: () => void): Promise<void> {
  try {
    await post(path, body);
    toast(done);
    again();
  } catch (e) {
    toast(e instanceof ApiError ? e.detail : String(e));
  }
}

function table(caption: string, head: string[], rows: HTMLElement[], empty: string, attrs: Record<string, string> = {}): HTMLElement {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    attrs,
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows),
  );
}

export function renderBoard(root: HTMLElement, d: BoardData, again: () => void): void {
  const openAlerts = d.alerts.filter((a) => !a.acknowledged_at);
  const soon = d.active
    .filter((c) => left(c) !== null)
    .sort((a, b) => (left(a) ?? 0) - (left(b) ?? 0))
    .slice(0, 10);
  const agents = d.agents.filter((a) => a.role !== 'supervisor');
  const assignControls = (c: CaseSummary) => {
    const pick = h(
      'select',
      { 'aria-label': `Agent for case ${c.id}` },
      h('option', { value: '' }, 'agent…'),
      agents.map((a) => h('option', { value: a.id }, `${a.name} (${a.load}/${a.capacity})`)),
    );
    return h(
      'div',
      { class: 'row tight' },
      pick,
      h('button', { type: 'button', onclick: () => pick.value ? void act(`/v1/cases/${encodeURIComponent(c.id)}/assign`, { agent_id: pick.value }, `Case ${c.id} assigned to ${pick.value}.`, again) : toast('Pick an agent first.') }, 'Assign'),
      c.assignee
        ? h('button', { type: 'button', onclick: () => pick.value ? void act(`/v1/cases/${encodeURIComponent(c.id)}/transfer`, { agent_id: pick.value }, `Case ${c.id} transferred to ${pick.value}.`, again) : toast('Pick an agent first.') }, 'Transfer')
        : null,
    );
  };
  mount(
    root,
    h('h1', {}, 'Live board'),
    h(
      'div',
      { class: 'board' },
      h(
        'section',
        { 'aria-labelledby': 'alerts-h', class: 'wide' },
        h('h2', { id: 'alerts-h' }, `SLA alerts (${openAlerts.length} open)`),
        table(
          'SLA alerts, newest first',
          ['Level', 'Case', 'Target', 'Late by', 'Fired', 'Assignee', ''],
          d.alerts.slice(0, 20).map((a) =>
            h(
              'tr',
              { class: a.acknowledged_at ? 'acked' : `alert-${a.level}`, 'data-alert': a.id },
              h('td', {}, h('span', { class: `lvl lvl-${a.level}` }, a.level.replace('_', ' '))),
              h('td', {}, h('a', { href: `#/case/${encodeURIComponent(a.case_id)}` }, a.case_id)),
              h('td', {}, a.target.replace('_', ' ')),
              h('td', {}, duration(a.late_by_ms)),
              h('td', {}, h('time', { datetime: a.fired_at }, time(a.fired_at))),
              h('td', {}, a.assignee ?? 'waiting'),
              h(
                'td',
                {},
                a.acknowledged_at
                  ? `acknowledged by ${a.acknowledged_by ?? '?'}`
                  : h('button', { type: 'button', 'data-ack': a.id, onclick: () => void act(`/v1/alerts/${encodeURIComponent(a.id)}/ack`, {}, 'Alert acknowledged.', again) }, `Acknowledge`),
              ),
            ),
          ),
          'No SLA alert yet. Alerts appear here within seconds of firing.',
          { class: 'alerts' },
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'soon-h', class: 'wide' },
        h('h2', { id: 'soon-h' }, 'Closest to a breach'),
        table(
          'Active cases by SLA time left',
          ['Case', 'Channel', 'Priority', 'Customer', 'Held by', 'SLA', 'Move'],
          soon.map((c) =>
            h(
              'tr',
              { 'data-case': c.id },
              h('td', {}, h('a', { href: `#/case/${encodeURIComponent(c.id)}` }, c.id)),
              h('td', {}, c.channel),
              h('td', {}, h('span', { class: `prio prio-${c.priority}` }, c.priority)),
              h('td', {}, customerLabel(c)),
              h('td', {}, c.assignee ?? 'waiting'),
              h('td', {}, badge(c)),
              h('td', {}, assignControls(c)),
            ),
          ),
          'No open case has a running SLA clock.',
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'queues-h' },
        h('h2', { id: 'queues-h' }, 'Queues'),
        table(
          'Waiting cases per queue',
          ['Queue', 'Waiting', 'Oldest wait', 'P1', 'P2', 'P3', 'P4'],
          d.queues.map((q) =>
            h('tr', {}, h('td', {}, q.queue), h('td', {}, String(q.waiting)), h('td', {}, duration(q.oldest_wait_secs * 1000)), ['P1', 'P2', 'P3', 'P4'].map((p) => h('td', {}, String(q.by_priority[p] ?? 0)))),
          ),
          'No case is waiting in any queue.',
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'agents-h' },
        h('h2', { id: 'agents-h' }, 'Agents'),
        table(
          'Agents: presence and load',
          ['Agent', 'Presence', 'Load', 'Per channel', ''],
          agents.map((a) =>
            h(
              'tr',
              { 'data-agent': a.id },
              h('td', {}, a.name),
              h('td', {}, h('span', { class: `presence p-${a.presence}` }, a.presence)),
              h('td', {}, h('meter', { min: 0, max: Math.max(a.capacity, 1), value: a.load, 'aria-label': `${a.name} load` }), ` ${a.load}/${a.capacity}`),
              h('td', {}, Object.entries(a.channel_load ?? {}).map(([ch, n]) => `${ch} ${n}${a.channel_capacity?.[ch] !== undefined ? `/${a.channel_capacity[ch]}` : ''}`).join(', ') || '—'),
              h('td', {}, h('a', { href: `#/agent/${encodeURIComponent(a.id)}`, 'aria-label': `Edit ${a.name}` }, 'Edit')),
            ),
          ),
          'No agent is configured.',
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'att-h', class: 'wide' },
        h('h2', { id: 'att-h' }, "Today's attainment"),
        table(
          'SLA targets met and missed today per queue',
          ['Queue', 'Target', 'Met', 'Missed', 'Running', 'Attainment'],
          d.metrics.map((m) =>
            h('tr', {}, h('td', {}, m.group), h('td', {}, m.target.replace('_', ' ')), h('td', {}, String(m.met)), h('td', {}, String(m.missed)), h('td', {}, String(m.running)), h('td', {}, m.attainment === null ? '—' : `${Math.round(m.attainment * 100)} %`)),
          ),
          'No case has been created today.',
        ),
      ),
    ),
  );
}
