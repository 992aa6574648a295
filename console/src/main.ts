// The console: hash routes (#/ my work, #/case/ID, #/board, #/agent/ID), a poller that keeps the
// screen live (every 2.5 s, lists with If-None-Match), the SLA countdown each second, and keys:
// N take the next case, R reply, D resolve, G B the board, ? help.

import { ApiError, whenUnauthorized, forgetCache } from './api';
import { cognitoFinish, loadConfig, session, signOut, type ConsoleConfig } from './auth';
import { loadAgentEdit } from './agent-edit';
import { loadBoard, renderBoard } from './board';
import { focusReply, loadCase, openCaseId, refreshCase, resolveOpen } from './case';
import { $, h, mount, toast } from './dom';
import { claimNext, loadDesk, renderDesk } from './queue';
import { renderSignIn } from './signin';
import { tick } from './sla';

const POLL_MS = 2500;
let config: ConsoleConfig = { dev_sign_in: false };
let route = '';
let lastOk = 0;
let failing = false;

function nav(): void {
  const s = session();
  const el = $('nav');
  if (!s) return mount(el);
  mount(
    el,
    h('a', { href: '#/' }, 'My work'),
    s.supervisor ? h('a', { href: '#/board' }, 'Board') : null,
    h('span', { class: 'who' }, `${s.agent_id}${s.supervisor ? ' (supervisor)' : ''}`),
    h('button', { type: 'button', onclick: () => { signOut(); forgetCache(); void show(); } }, 'Sign out'),
  );
}

async function show(): Promise<void> {
  const root = $('app');
  nav();
  if (!session()) {
    route = 'sign-in';
    await renderSignIn(root, config, () => { location.hash = '#/'; void show(); });
    return;
  }
  const hash = location.hash.replace(/^#/, '') || '/';
  const [, first, rest] = hash.split('/');
  route = first || 'desk';
  document.title = `socialcare · ${route === 'desk' ? 'my work' : route}`;
  if (first === 'case' && rest) await loadCase(root, decodeURIComponent(rest));
  else if (first === 'agent' && rest) await loadAgentEdit(root, decodeURIComponent(rest));
  else if (first === 'board') {
    if (!session()?.supervisor) mount(root, h('h1', {}, 'Supervisors only'), h('p', {}, 'The board needs a supervisor token.'));
    else await poll(true);
  } else await poll(true);
}

async function poll(force = false): Promise<void> {
  if (!session() || document.hidden && !force) return;
  const root = $('app');
  try {
    if (route === 'desk') {
      const { data, changed } = await loadDesk();
      if (changed || force) renderDesk(root, data);
    } else if (route === 'board' && session()?.supervisor) {
      const { data } = await loadBoard();
      const focused = document.activeElement?.tagName === 'SELECT';
      if (!focused || force) renderBoard(root, data, () => void poll(true));
    } else if (route === 'case' && openCaseId()) {
      await refreshCase(root);
    }
    lastOk = Date.now();
    failing = false;
  } catch (e) {
    failing = true;
    if (force) {
      mount(root, h('h1', {}, 'Cannot load'), h('p', { class: 'error' }, e instanceof ApiError ? e.detail : String(e)), h('p', {}, 'The console retries every few seconds.'));
    }
  }
  liveStatus();
}

function liveStatus(): void {
  const el = $('live');
  if (!session()) return void (el.textContent = '');
  el.className = failing ? 'live off' : 'live';
  el.textContent = failing ? 'offline, retrying' : lastOk ? `live · ${Math.round((Date.now() - lastOk) / 1000)} s ago` : 'live';
}

function keys(e: KeyboardEvent): void {
  const t = e.target as HTMLElement | null;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
  if (!session()) return;
  const k = e.key.toLowerCase();
  if (k === 'n') void claimNext();
  else if (k === 'r' && route === 'case') { e.preventDefault(); focusReply(); }
  else if (k === 'd' && route === 'case') void resolveOpen();
  else if (k === 'b' && session()?.supervisor) location.hash = '#/board';
  else if (k === 'h') location.hash = '#/';
  else if (k === '?') toast('Keys: N take the next case · R reply (Ctrl+Enter sends) · D resolve · H my work · B board');
}

async function start(): Promise<void> {
  config = await loadConfig();
  whenUnauthorized(() => { signOut(); void show(); });
  if (config.cognito && new URLSearchParams(location.search).has('code')) {
    try {
      await cognitoFinish(config.cognito);
    } catch (e) {
      await renderSignIn($('app'), config, () => void show(), e instanceof Error ? e.message : String(e));
      return;
    }
  }
  window.addEventListener('hashchange', () => void show());
  document.addEventListener('keydown', keys);
  window.setInterval(() => void poll(), POLL_MS);
  window.setInterval(() => { tick(); liveStatus(); }, 1000);
  document.addEventListener('visibilitychange', () => void poll());
  await show();
}

void start();
