// The SLA badge: the open clock due soonest, counting down each second from the server's
// `remaining_ms` (taken when the list was fetched, so the browser's clock does not matter).
// Colours: running (green), warned (amber: the policy's warning threshold passed), breached (red,
// also as soon as the countdown passes zero), paused (grey).

import { duration, h } from './dom';
import type { CaseSummary, Sla } from './types';

const fetchedAt = new WeakMap<object, number>();

/** Marks when a list of cases was received. */
export function stamp(cases: CaseSummary[]): void {
  const now = performance.now();
  for (const c of cases) fetchedAt.set(c, now);
}

export function openClock(c: CaseSummary): Sla | null {
  const open = c.sla.filter((s) => s.state !== 'met' && s.remaining_ms !== null);
  open.sort((a, b) => (a.remaining_ms ?? 0) - (b.remaining_ms ?? 0));
  return open[0] ?? null;
}

/** Milliseconds left on the case's soonest clock now, or null. */
export function left(c: CaseSummary): number | null {
  const s = openClock(c);
  if (!s || s.remaining_ms === null) return null;
  if (s.state === 'paused') return s.remaining_ms;
  const since = performance.now() - (fetchedAt.get(c) ?? performance.now());
  return s.remaining_ms - since;
}

export function level(c: CaseSummary): 'none' | 'ok' | 'warned' | 'breached' | 'paused' {
  const s = openClock(c);
  if (!s) return 'none';
  if (s.state === 'paused') return 'paused';
  const ms = left(c) ?? 0;
  if (s.state === 'breached' || ms <= 0) return 'breached';
  if (s.state === 'warned') return 'warned';
  return 'ok';
}

const words = { none: 'no SLA clock', ok: 'on time', warned: 'warning', breached: 'breached', paused: 'paused' };

export function badge(c: CaseSummary): HTMLElement {
  const el = h('span', { class: 'sla', 'data-sla': '' });
  paint(el, c);
  slaBadges.set(el, c);
  return el;
}

function paint(el: HTMLElement, c: CaseSummary): void {
  const lvl = level(c);
  const s = openClock(c);
  const ms = left(c);
  el.className = `sla sla-${lvl}`;
  const target = s ? s.target.replace('_', ' ') : '';
  const met = c.sla.length > 0 && c.sla.every((x) => x.state === 'met');
  el.textContent = ms === null ? (met ? 'met' : 'no SLA') : `${lvl === 'paused' ? '⏸ ' : ''}${duration(ms)}`;
  el.title = s ? `${target}: ${words[lvl]}` : 'no open SLA target';
  el.setAttribute('aria-label', s ? `SLA ${target} ${words[lvl]}, ${duration(ms ?? 0)} left` : 'no SLA target');
}

const slaBadges = new Map<HTMLElement, CaseSummary>();

/** Repaints every badge and waiting time on the page (called each second). */
export function tick(): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-since]')) {
    el.textContent = duration(Date.now() - new Date(el.dataset.since ?? '').getTime());
  }
  for (const [el, c] of slaBadges) {
    if (!el.isConnected) slaBadges.delete(el);
    else paint(el, c);
  }
}
