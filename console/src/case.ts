// One case: the thread in time order, each post's classification with its reasons, the
// customer panel, merge suggestions, and the actions. Replies carry an Idempotency-Key made by
// the page (kept until the reply is accepted, so a retry cannot send it twice) and If-Match with
// the case version the agent has seen: if the case moved on (the customer wrote, a colleague
// replied), the server answers 412 and the page shows what changed before anything goes out.

import { ApiError, get, post } from './api';
import { session } from './auth';
import { h, mount, time, toast } from './dom';
import { customerLabel } from './queue';
import { badge, stamp } from './sla';
import type { CaseView, Post } from './types';

interface Open {
  id: string;
  view: CaseView;
  /** The version the agent has seen: replies are sent If-Match this. */
  seenVersion: number;
  seenPosts: Set<string>;
  /** Posts that arrived since, not written by me. */
  unseen: Post[];
  idempotencyKey: string;
}

let open: Open | null = null;
/** (when, score -1..1) of the customer's posts, oldest first. */
let sentiment: [string, number][] = [];

const SVG = 'http://www.w3.org/2000/svg';

/** Only the holder of an active case of this customer (or a supervisor) may read it. */
function loadSentiment(v: CaseView): void {
  if (!v.customer) return;
  get<{ sentiment: [string, number][] }>(`/v1/customers/${encodeURIComponent(v.customer.id)}`)
    .then((r) => {
      sentiment = r.body.sentiment;
      document.getElementById('sentiment')?.replaceWith(sentimentView());
    })
    .catch(() => {});
}

/** The customer's sentiment over time: one bar per post, up for positive, down for negative
 * (SVG attributes only: the CSP allows no inline style). */
function sentimentView(): Element {
  const last = sentiment.slice(-24);
  if (!last.length) return h('p', { class: 'empty', id: 'sentiment' }, 'No classified post yet.');
  const w = 12;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${last.length * w} 40`);
  svg.setAttribute('width', String(Math.min(last.length * w, 240)));
  svg.setAttribute('height', '40');
  svg.setAttribute('role', 'img');
  svg.setAttribute('class', 'spark');
  const lowest = Math.min(...last.map(([, v]) => v));
  const latest = last[last.length - 1][1];
  svg.setAttribute('aria-label', `Sentiment of the last ${last.length} posts: latest ${latest.toFixed(2)}, lowest ${lowest.toFixed(2)}`);
  last.forEach(([, v], i) => {
    const bar = document.createElementNS(SVG, 'rect');
    const height = Math.max(1, Math.abs(v) * 19);
    bar.setAttribute('x', String(i * w + 1));
    bar.setAttribute('width', String(w - 2));
    bar.setAttribute('y', String(v >= 0 ? 20 - height : 20));
    bar.setAttribute('height', String(height));
    bar.setAttribute('class', v >= 0.1 ? 'pos' : v <= -0.1 ? 'neg' : 'neu');
    svg.appendChild(bar);
  });
  return h('div', { id: 'sentiment' }, svg, h('small', {}, ` latest ${latest.toFixed(2)} · lowest ${lowest.toFixed(2)}`));
}

/** What the agent would see change: the version, and each post's delivery, edit and deletion
 * (a delivery receipt updates the post, not always the case). */
function signature(v: CaseView): string {
  return [v.version, ...v.posts.map((p) => `${p.id}:${delivery(p.delivery) ?? ''}:${p.edited}:${p.deleted}`)].join('|');
}

export function openCaseId(): string | null {
  return open?.id ?? null;
}

export async function loadCase(root: HTMLElement, id: string): Promise<void> {
  mount(root, h('p', { class: 'muted' }, 'Loading the case…'));
  try {
    const r = await get<CaseView>(`/v1/cases/${encodeURIComponent(id)}`);
    stamp([r.body]);
    sentiment = [];
    loadSentiment(r.body);
    open = {
      id,
      view: r.body,
      seenVersion: r.body.version,
      seenPosts: new Set(r.body.posts.map((p) => p.id)),
      unseen: [],
      idempotencyKey: crypto.randomUUID(),
    };
    render(root);
  } catch (e) {
    open = null;
    const status = e instanceof ApiError ? e.status : 0;
    mount(
      root,
      h('h1', {}, status === 404 ? 'Case not found' : 'The case could not be loaded'),
      h(
        'p',
        { class: 'error' },
        status === 404
          ? 'This case does not exist, or it is not yours to see (another agent holds it).'
          : e instanceof Error ? e.message : String(e),
      ),
      h('p', {}, h('a', { href: '#/' }, 'Back to my work')),
    );
  }
}

/** Polled: picks up a new version of the open case. Changes I did not make are flagged. */
export async function refreshCase(root: HTMLElement): Promise<void> {
  if (!open) return;
  const current = open;
  let r;
  try {
    r = await get<CaseView>(`/v1/cases/${encodeURIComponent(current.id)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      toast('This case is no longer yours to see (transferred or taken).');
      await loadCase(root, current.id);
    }
    return;
  }
  if (!r.changed || open !== current || signature(r.body) === signature(current.view)) return;
  stamp([r.body]);
  const me = session()?.agent_id;
  const fresh = r.body.posts.filter((p) => !current.seenPosts.has(p.id) && p.author.id !== `agent:${me}`);
  current.unseen.push(...fresh.filter((p) => !current.unseen.some((u) => u.id === p.id)));
  for (const p of r.body.posts) if (p.author.id === `agent:${me}`) current.seenPosts.add(p.id);
  const statusMoved = r.body.status !== current.view.status || r.body.assignee !== current.view.assignee;
  if (r.body.posts.length !== current.view.posts.length) loadSentiment(r.body);
  current.view = r.body;
  // Only a delivery receipt or a clock moved: nothing the agent has to read first.
  if (current.unseen.length === 0 && !statusMoved) current.seenVersion = r.body.version;
  render(root, statusMoved ? `This case is now ${r.body.status}${r.body.assignee ? `, held by ${r.body.assignee}` : ''}.` : undefined);
}

function markSeen(root: HTMLElement): void {
  if (!open) return;
  open.seenVersion = open.view.version;
  for (const p of open.view.posts) open.seenPosts.add(p.id);
  open.unseen = [];
  render(root);
}

function delivery(d: unknown): string | null {
  if (!d) return null;
  if (typeof d === 'string') return d.toLowerCase();
  if (typeof d === 'object') {
    const o = d as Record<string, unknown>;
    if (typeof o.state === 'string') return o.reason ? `${o.state}: ${String(o.reason)}` : o.state;
    const [k, v] = Object.entries(o)[0] ?? [];
    if (k) {
      const reason = v && typeof v === 'object' ? (v as Record<string, unknown>).reason : undefined;
      return reason ? `${k.toLowerCase()}: ${String(reason)}` : k.toLowerCase();
    }
  }
  return null;
}

function postView(p: Post, isNew: boolean): HTMLElement {
  const c = p.classification;
  const state = delivery(p.delivery);
  return h(
    'li',
    { class: `post ${p.direction}${isNew ? ' new' : ''}`, 'data-post': p.id },
    h(
      'div',
      { class: 'meta' },
      h('strong', {}, p.direction === 'outbound' ? (p.author.name ?? p.author.handle) : `@${p.author.handle}`),
      ` · ${p.channel}${p.private ? ' (private)' : ''} · `,
      h('time', { datetime: p.created_at }, time(p.created_at)),
      p.edited ? h('span', { class: 'tag' }, 'edited') : null,
      p.deleted ? h('span', { class: 'tag warn' }, 'deleted by the author') : null,
      state ? h('span', { class: `tag delivery-${state.split(':')[0]}` }, `delivery: ${state}`) : null,
      isNew ? h('span', { class: 'tag warn' }, 'new since you opened the case') : null,
    ),
    h('p', { class: 'text' }, p.deleted && !p.text ? '(text removed)' : p.text),
    c
      ? h(
          'details',
          { class: 'why' },
          h(
            'summary',
            {},
            `${c.intent} · ${c.sentiment} (${c.sentiment_score.toFixed(2)}) · ${c.language ?? '?'} · ${c.priority}${c.urgent ? ' · urgent' : ''}${c.spam ? ' · spam' : ''}`,
          ),
          h('ul', {}, c.reasons.map((r) => h('li', {}, r))),
        )
      : null,
  );
}

function field(obj: Record<string, unknown>, ...keys: string[]): string {
  for (const k of keys) {
    const v = obj[k];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return '';
}

function customerPanel(v: CaseView): HTMLElement {
  const c = v.customer;
  return h(
    'aside',
    { class: 'panel', 'aria-labelledby': 'cust-h' },
    h('h2', { id: 'cust-h' }, c ? c.display_name : 'Customer'),
    c ? h('p', { class: 'muted' }, c.id) : h('p', { class: 'empty' }, 'The customer record could not be read.'),
    h('h3', {}, 'Identities'),
    c && c.identities.length
      ? h(
          'ul',
          {},
          c.identities.map((i) => {
            const author = (i.author ?? {}) as Record<string, unknown>;
            const ev = i.evidence as Record<string, unknown> | string | undefined;
            const evidence = typeof ev === 'object' && ev ? Object.entries(ev).map(([k, x]) => (k === 'kind' ? String(x).replace(/_/g, ' ') : `${k}: ${typeof x === 'string' ? x : JSON.stringify(x)}`)).join(', ') : ev;
            return h(
              'li',
              {},
              `${field(i as Record<string, unknown>, 'channel', 'platform')} @${field(author, 'handle') || field(i as Record<string, unknown>, 'handle', 'author_id')}`,
              evidence ? h('div', { class: 'muted' }, `evidence: ${evidence}`) : null,
            );
          }),
        )
      : h('p', { class: 'empty' }, 'None recorded.'),
    h('h3', {}, 'Identifiers'),
    c && c.identifiers.length
      ? h('ul', {}, c.identifiers.map((i) => h('li', {}, `${field(i, 'kind')}: ${field(i, 'value')}`)))
      : h('p', { class: 'empty' }, 'None written yet.'),
    h('h3', {}, 'Sentiment over time'),
    sentimentView(),
    h('h3', {}, 'Previous cases'),
    v.previous_cases.length
      ? h(
          'ul',
          {},
          v.previous_cases.map((p) =>
            h('li', {}, h('a', { href: `#/case/${encodeURIComponent(p.id)}` }, p.id), ` · ${p.status} · ${time(p.created_at)}`),
          ),
        )
      : h('p', { class: 'empty' }, 'First case of this customer.'),
    h('h3', {}, 'May be the same person'),
    v.suggestions.length
      ? h(
          'ul',
          {},
          v.suggestions.map((s) =>
            h(
              'li',
              {},
              `${s.display_name} (${s.kind.replace('_', ' ')}): ${s.detail} `,
              h(
                'button',
                {
                  type: 'button',
                  onclick: async () => {
                    if (!c) return;
                    await act(`/v1/merges`, { source: s.customer_id, target: c.id, reason: s.detail }, 'Customers merged.');
                  },
                },
                `Merge ${s.display_name} into this customer`,
              ),
            ),
          ),
        )
      : h('p', { class: 'empty' }, 'No suggestion.'),
  );
}

async function act(path: string, body: unknown, done: string, headers?: Record<string, string>): Promise<boolean> {
  try {
    await post(path, body, headers);
    toast(done);
    const root = document.getElementById('app');
    if (root && open) await loadCase(root, open.id);
    return true;
  } catch (e) {
    toast(e instanceof ApiError ? e.detail : String(e));
    return false;
  }
}

export async function sendReply(root: HTMLElement): Promise<void> {
  if (!open) return;
  const box = document.getElementById('reply-text') as HTMLTextAreaElement | null;
  const text = box?.value.trim() ?? '';
  if (!text) {
    toast('Write the reply first.');
    box?.focus();
    return;
  }
  const current = open;
  if (current.unseen.length > 0) {
    render(root, undefined, text);
    toast('The case changed since you opened it: read the new posts, then send again.');
    return;
  }
  try {
    await post(
      `/v1/cases/${encodeURIComponent(current.id)}/replies`,
      { text },
      { 'idempotency-key': current.idempotencyKey, 'if-match': `"${current.seenVersion}"` },
    );
    toast('Reply sent.');
    await loadCase(root, current.id);
  } catch (e) {
    if (e instanceof ApiError && e.status === 412) {
      await refreshCase(root);
      if (open && open.unseen.length === 0) open.seenVersion = open.view.version;
      render(root, 'The case changed since you loaded it. Check the thread; press Send again to answer anyway.', text);
      if (open && open.unseen.length === 0) toast('The case changed since you loaded it: press Send again to answer anyway.');
      return;
    }
    toast(e instanceof ApiError ? e.detail : String(e));
  }
}

export async function resolveOpen(): Promise<void> {
  if (!open) return;
  await act(`/v1/cases/${encodeURIComponent(open.id)}/resolve`, {}, 'Case resolved.');
}

export function focusReply(): void {
  document.getElementById('reply-text')?.focus();
}

function render(root: HTMLElement, notice?: string, draft?: string): void {
  if (!open) return;
  const v = open.view;
  const me = session();
  const mine = v.assignee === me?.agent_id;
  const active = ['new', 'open', 'pending'].includes(v.status);
  const oldDraft = (document.getElementById('reply-text') as HTMLTextAreaElement | null)?.value;
  const posts = [...v.posts].sort((a, b) => a.created_at.localeCompare(b.created_at));
  const unseenIds = new Set(open.unseen.map((p) => p.id));
  const reply = h('textarea', {
    id: 'reply-text',
    rows: 4,
    'aria-label': 'Reply to the customer',
    'aria-keyshortcuts': 'r',
    placeholder: 'Write your reply… (Ctrl+Enter sends)',
    onkeydown: (e: Event) => {
      const k = e as KeyboardEvent;
      if (k.key === 'Enter' && (k.ctrlKey || k.metaKey)) {
        k.preventDefault();
        void sendReply(root);
      }
    },
  });
  reply.value = draft ?? oldDraft ?? '';
  const reason = h('input', { id: 'pending-reason', type: 'text', 'aria-label': 'Why the case is pending', placeholder: 'waiting for the order number' });
  const transferTo = h('input', { id: 'transfer-to', type: 'text', 'aria-label': 'Transfer to agent id or queue', placeholder: 'agent id, or queue:vip' });
  mount(
    root,
    h(
      'div',
      { class: 'case-head' },
      h('h1', {}, `Case ${v.id}`),
      h(
        'p',
        { class: 'facts' },
        h('span', { class: `chip ch-${v.channel}` }, v.channel),
        h('span', { class: `prio prio-${v.priority}` }, v.priority),
        ` ${v.language ?? '—'} · ${v.status} · queue ${v.queue} · ${v.assignee ? `held by ${v.assignee}` : 'waiting'} · customer ${v.customer?.display_name ?? customerLabel(v)} `,
        badge(v),
      ),
    ),
    notice ? h('p', { class: 'notice', role: 'alert' }, notice) : null,
    open.unseen.length
      ? h(
          'div',
          { class: 'notice', role: 'alert', id: 'changed' },
          `${open.unseen.length} new post${open.unseen.length > 1 ? 's' : ''} since you opened this case (${open.unseen
            .map((p) => (p.direction === 'inbound' ? 'the customer wrote' : `${p.author.name ?? p.author.handle} replied`))
            .join(', ')}). `,
          h('button', { type: 'button', onclick: () => markSeen(root) }, 'I have read them'),
        )
      : null,
    h(
      'div',
      { class: 'case-grid' },
      h(
        'section',
        { 'aria-labelledby': 'thread-h' },
        h('h2', { id: 'thread-h' }, `Thread (${posts.length})`),
        posts.length ? h('ol', { class: 'thread' }, posts.map((p) => postView(p, unseenIds.has(p.id)))) : h('p', { class: 'empty' }, 'No post on this case.'),
        mine && active
          ? h(
              'form',
              {
                class: 'compose',
                'aria-label': 'Reply',
                onsubmit: (e: Event) => {
                  e.preventDefault();
                  void sendReply(root);
                },
              },
              reply,
              h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', id: 'send' }, 'Send reply')),
            )
          : h('p', { class: 'muted' }, mine ? `This case is ${v.status}.` : 'Take or be given this case to answer it.'),
        mine && active
          ? h(
              'div',
              { class: 'actions', role: 'group', 'aria-label': 'Case actions' },
              h('div', { class: 'row' }, reason, h('button', { type: 'button', id: 'pending', onclick: () => void act(`/v1/cases/${encodeURIComponent(v.id)}/pending`, reason.value.trim() ? { reason: reason.value.trim() } : {}, 'Case pending on the customer: the SLA clocks pause.') }, 'Set pending')),
              h('div', { class: 'row' }, transferTo, h('button', {
                type: 'button',
                id: 'transfer',
                onclick: () => {
                  const to = transferTo.value.trim();
                  if (!to) return toast('Name an agent id or queue:<name>.');
                  const body = to.startsWith('queue:') ? { queue: to.slice(6) } : { agent_id: to };
                  void act(`/v1/cases/${encodeURIComponent(v.id)}/transfer`, body, 'Case transferred.');
                },
              }, 'Transfer')),
              h(
                'div',
                { class: 'row' },
                h('button', { type: 'button', id: 'resolve', 'aria-keyshortcuts': 'd', onclick: () => void resolveOpen() }, 'Resolve (D)'),
                h('button', { type: 'button', id: 'decline', onclick: () => void act(`/v1/cases/${encodeURIComponent(v.id)}/decline`, {}, 'Declined: the case goes to the next best agent.') }, 'Decline'),
              ),
            )
          : null,
      ),
      customerPanel(v),
    ),
  );
}
