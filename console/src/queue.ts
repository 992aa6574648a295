// The agent's desk: my open cases and the waiting queue I may take, in the order a claim takes
// them (priority, then the longest wait), with a button to take the next one.

import { ApiError, get, post } from './api';
import { duration, h, mount, toast } from './dom';
import { badge, stamp } from './sla';
import type { CaseSummary, CaseView } from './types';

export interface DeskData {
  mine: CaseSummary[];
  waiting: CaseSummary[];
}

export async function loadDesk(): Promise<{ data: DeskData; changed: boolean }> {
  const [mine, waiting] = await Promise.all([
    get<{ cases: CaseSummary[] }>('/v1/cases?assignee=me&status=new,open,pending'),
    get<{ cases: CaseSummary[] }>('/v1/cases?waiting=true'),
  ]);
  stamp(mine.body.cases);
  stamp(waiting.body.cases);
  return { data: { mine: mine.body.cases, waiting: waiting.body.cases }, changed: mine.changed || waiting.changed };
}

/** Takes the best waiting case I may take and opens it. */
export async function claimNext(): Promise<void> {
  try {
    const r = await post<CaseView | null>('/v1/queue/claim');
    if (r.status === 204 || !r.body) {
      toast('No waiting case you can take right now.');
      return;
    }
    toast(`You took case ${r.body.id}.`);
    location.hash = `#/case/${encodeURIComponent(r.body.id)}`;
  } catch (e) {
    toast(e instanceof ApiError ? e.detail : String(e));
  }
}

export function customerLabel(c: CaseSummary): string {
  return c.handle ? `@${c.handle.replace(/^@/, '')}` : c.customer_id;
}

function rows(cases: CaseSummary[], waiting: boolean): HTMLElement {
  if (cases.length === 0) {
    return h(
      'p',
      { class: 'empty' },
      waiting
        ? 'Nobody is waiting for you. New cases appear here by themselves within seconds.'
        : 'You hold no open case. Take the next case from the queue (key N).',
    );
  }
  const now = Date.now();
  return h(
    'table',
    { class: 'cases', 'data-list': waiting ? 'waiting' : 'mine' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Case', 'Channel', 'Language', 'Priority', 'Customer', waiting ? 'Waiting' : 'Status', 'SLA'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      cases.map((c) =>
        h(
          'tr',
          { 'data-case': c.id },
          h(
            'td',
            {},
            h('a', { href: `#/case/${encodeURIComponent(c.id)}` }, c.id),
            c.snippet ? h('div', { class: 'snippet' }, c.snippet) : null,
          ),
          h('td', {}, h('span', { class: `chip ch-${c.channel}` }, c.channel)),
          h('td', {}, c.language ?? '—'),
          h('td', {}, h('span', { class: `prio prio-${c.priority}` }, c.priority)),
          h('td', {}, customerLabel(c)),
          h('td', {}, waiting ? h('span', { 'data-since': c.created_at }, duration(now - new Date(c.created_at).getTime())) : c.status),
          h('td', {}, badge(c)),
        ),
      ),
    ),
  );
}

export function renderDesk(root: HTMLElement, d: DeskData): void {
  mount(
    root,
    h('h1', {}, 'My work'),
    h(
      'section',
      { 'aria-labelledby': 'mine-h' },
      h('h2', { id: 'mine-h' }, `My cases (${d.mine.length})`),
      rows(d.mine, false),
    ),
    h(
      'section',
      { 'aria-labelledby': 'queue-h' },
      h(
        'div',
        { class: 'row' },
        h('h2', { id: 'queue-h' }, `Waiting queue (${d.waiting.length})`),
        h(
          'button',
          { type: 'button', id: 'claim', class: 'primary', 'aria-keyshortcuts': 'n', onclick: () => void claimNext() },
          'Take the next case (N)',
        ),
      ),
      rows(d.waiting, true),
    ),
  );
}
