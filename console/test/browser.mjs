// The console in a real browser (Debian's chromium, driven by playwright-core; nothing is
// downloaded). Starts `care serve` on a free 127.0.0.1 port with test/care.toml, then walks the
// stories of issue 18: an agent signs in, sees a new case appear live, takes it, reads the thread
// (a post with HTML in it stays text), is warned that the case changed before answering,
// replies and resolves; a supervisor sees the SLA alert of an unanswered case arrive on the board
// and acknowledges it, and edits an agent; an agent cannot open another agent's case by URL.
// axe-core checks every screen; screenshots go to target/console-shots/. Bounded: 150 s.
//
// Usage: node test/browser.mjs [path/to/care]   (from console/, after `npm run build`)

import { spawn, execFileSync } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const care = resolve(process.argv[2] ?? `${repo}/target/debug/care`);
const shots = `${repo}/target/console-shots`;
const axeSource = readFileSync(resolve(here, '../node_modules/axe-core/axe.min.js'), 'utf8');
const SECRET = 'whsec_' + Buffer.from('console-test-forum-signing-key').toString('base64');
const env = { ...process.env, CARE_JWT_SECRET: 'console-test-jwt-key-of-at-least-thirty-two-bytes', CONSOLE_TEST_FORUM_SECRET: SECRET, RUST_LOG: 'warn' };
const LIVE_MS = 5000;

let passed = 0;
let failed = 0;
const guard = setTimeout(() => {
  console.error('console test: over 150 s, stopping');
  process.exit(2);
}, 150_000);

function ok(name) {
  passed++;
  console.log(`ok   ${name}`);
}
function check(cond, name, detail = '') {
  if (cond) ok(name);
  else {
    failed++;
    console.log(`FAIL ${name} ${detail}`);
  }
}

async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Posts a Standard Webhooks-signed generic webhook, as a forum would. */
async function webhook(base, data) {
  const now = new Date().toISOString();
  const body = JSON.stringify({
    type: 'post.created',
    timestamp: now,
    data: { source: 'forum', created_at: now, in_reply_to: null, private: false, ...data, author: { followers: 10, verified: false, ...data.author } },
  });
  const id = `msg_${randomUUID()}`;
  const ts = Math.floor(Date.now() / 1000).toString();
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  const r = await fetch(`${base}/webhooks/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` },
    body,
  });
  if (!r.ok) throw new Error(`webhook refused: ${r.status} ${await r.text()}`);
}

async function axe(page, screen) {
  // Evaluated by the driver (the page's own CSP rightly refuses inline scripts).
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(serious.length === 0, `axe: no serious violation on ${screen}`, JSON.stringify(serious));
}

async function timed(name, f, limit = LIVE_MS) {
  const t0 = Date.now();
  await f();
  const ms = Date.now() - t0;
  check(ms <= limit, `${name} (${ms} ms, limit ${limit} ms)`);
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The forum's reply endpoint: takes every reply (the signature is checked by ingest tests).
  const replies = [];
  const receiver = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      replies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `r-${replies.length}` }));
    });
  });
  const replyPort = await new Promise((res) => receiver.listen(0, '127.0.0.1', () => res(receiver.address().port)));
  const config = `${mkdtempSync(`${tmpdir()}/care-console-`)}/care.toml`;
  writeFileSync(
    config,
    readFileSync(resolve(here, 'care.toml'), 'utf8').replace('secret_env = "CONSOLE_TEST_FORUM_SECRET"', `secret_env = "CONSOLE_TEST_FORUM_SECRET"\nreply_url = "http://127.0.0.1:${replyPort}/replies"`),
  );
  // A stand-in for Cognito's hosted UI: /oauth2/authorize remembers the PKCE challenge and sends
  // the browser back with a code; /oauth2/token gives a token only for that code with the
  // verifier whose SHA-256 is the challenge (RFC 7636 S256), for the same client and redirect.
  const codes = new Map();
  const oauth = createHttpServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    if (url.pathname === '/oauth2/authorize') {
      const q = url.searchParams;
      const good = q.get('response_type') === 'code' && q.get('client_id') === 'console-test' && q.get('code_challenge_method') === 'S256' && (q.get('code_challenge') ?? '').length === 43;
      if (!good) return res.writeHead(400).end('bad authorize request');
      const code = randomUUID();
      codes.set(code, { challenge: q.get('code_challenge'), redirect: q.get('redirect_uri') });
      return res.writeHead(302, { location: `${q.get('redirect_uri')}?code=${code}&state=${encodeURIComponent(q.get('state'))}` }).end();
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const f = new URLSearchParams(body);
      const saved = codes.get(f.get('code'));
      codes.delete(f.get('code'));
      const verifier = f.get('code_verifier') ?? '';
      const s256 = createHash('sha256').update(verifier).digest('base64url');
      if (url.pathname !== '/oauth2/token' || !saved || f.get('grant_type') !== 'authorization_code' || f.get('client_id') !== 'console-test' || f.get('redirect_uri') !== saved.redirect || s256 !== saved.challenge) {
        return res.writeHead(400, { ...cors, 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
      }
      const token = execFileSync(care, ['token', '--agent', 'ana'], { env }).toString().trim();
      res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  const oauthPort = await new Promise((res) => oauth.listen(0, '127.0.0.1', () => res(oauth.address().port)));
  const server = spawn(
    care,
    ['serve', '--cognito-domain', `http://127.0.0.1:${oauthPort}`, '--cognito-client-id', 'console-test', '--config', config, '--port', String(port), '--tick-ms', '200', '--dev-sign-in', '--console-dir', resolve(here, '../dist')],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const stop = () => server.kill('SIGTERM');
  process.on('exit', stop);
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/v1/openapi.json`)).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await stories(browser, base);
  } catch (e) {
    for (const [i, c] of browser.contexts().entries()) {
      for (const [j, p] of c.pages().entries()) await p.screenshot({ path: `${shots}/failure-${i}-${j}.png` }).catch(() => {});
    }
    throw e;
  } finally {
    console.log(`replies received by the forum: ${replies.length}`);
    await browser.close();
    stop();
    receiver.close();
    oauth.close();
  }
}

async function stories(browser, base) {
  // The page's own header.
  const head = await fetch(`${base}/console/`);
  const csp = head.headers.get('content-security-policy') ?? '';
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), 'CSP without unsafe-inline', csp);

  const ben = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ben.newPage();
  const problems = [];
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  // Agent signs in (development sign-in of care serve --dev-sign-in).
  await page.goto(`${base}/console/`);
  await page.getByRole('button', { name: /Ben Carter/ }).waitFor();
  await page.screenshot({ path: `${shots}/01-sign-in.png` });
  await axe(page, 'sign-in');
  await page.getByRole('button', { name: /Ben Carter/ }).click();
  await page.getByRole('heading', { name: 'My work' }).waitFor();
  check(await page.getByText('Nobody is waiting for you').isVisible(), 'empty queue says what to expect');

  // A new case appears live.
  const handle = `casey${Date.now() % 100000}`;
  await webhook(base, { id: `c-${handle}-1`, text: 'My Acme laptop stopped charging after the update. Please help me get it repaired.', author: { id: `u-${handle}`, handle, name: 'Casey Jones' } });
  await timed('new case appears in the waiting queue live', () => page.locator('[data-list="waiting"] tr[data-case]').first().waitFor({ timeout: 8000 }));
  const caseId = await page.locator('[data-list="waiting"] tr[data-case]').first().getAttribute('data-case');
  await page.screenshot({ path: `${shots}/02-desk.png` });
  await axe(page, 'my work');
  check((await page.locator('[data-list="waiting"] [data-sla]').first().getAttribute('class')).includes('sla-'), 'waiting case has an SLA badge');

  // Take it with the keyboard, read the thread.
  await page.keyboard.press('n');
  await page.getByRole('heading', { name: `Case ${caseId}` }).waitFor();
  check(await page.getByText('stopped charging after the update').isVisible(), 'thread shows the customer post');
  check((await page.locator('details.why').count()) >= 1, 'post shows its classification with reasons');
  await page.getByRole('img', { name: /Sentiment of the last/ }).waitFor({ timeout: 5000 });
  ok("customer panel shows the customer's sentiment over time");

  // The customer writes again, with HTML in the text: it arrives live, flagged, as text.
  const xss = '<img src=x onerror=alert(1)> still not charging';
  await webhook(base, { id: `c-${handle}-2`, text: xss, author: { id: `u-${handle}`, handle, name: 'Casey Jones' } });
  await timed('a new customer post appears on the open case live', () => page.locator('.post.new').first().waitFor({ timeout: 8000 }));
  check((await page.locator('.thread img').count()) === 0, 'customer HTML is not rendered as an element');
  check(await page.getByText(xss, { exact: true }).isVisible(), 'customer HTML is shown as text');
  await page.screenshot({ path: `${shots}/03-case.png` });
  await axe(page, 'case');

  // Reply: warned first that the case changed, then sent.
  await page.keyboard.press('r');
  await page.keyboard.type('Sorry about that, Casey. We are sending a courier for the charger.');
  await page.keyboard.press('Control+Enter');
  await page.getByText('The case changed since you opened it').waitFor();
  ok('warned before answering a case that changed');
  await page.getByRole('button', { name: 'I have read them' }).click();
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.locator('.post.outbound').first().waitFor({ timeout: 5000 });
  ok('reply appears in the thread');
  await timed('delivery state of the reply updates live', () => page.locator('.post.outbound .delivery-sent').waitFor({ timeout: 8000 }));

  // Resolve with the keyboard.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('d');
  await page.getByText(/This case is resolved/).waitFor({ timeout: 5000 });
  ok('case resolved with the D key');

  // Supervisor: signs in with a pasted token, watches the board.
  const token = execFileSync(care, ['token', '--agent', 'sam', '--supervisor'], { env }).toString().trim();
  const sam = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const board = await sam.newPage();
  board.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await board.goto(`${base}/console/`);
  await board.getByRole('textbox', { name: 'Token' }).fill(token);
  await board.getByRole('button', { name: 'Sign in', exact: true }).click();
  await board.getByRole('heading', { name: 'My work' }).waitFor();
  await board.goto(`${base}/console/#/board`);
  await board.getByRole('heading', { name: 'Live board' }).waitFor();
  // A Portuguese customer: Ana gets the case at once and nobody answers it.
  await webhook(base, { id: `c-${handle}-pt`, text: 'Olá, meu pedido 48213 ainda não chegou. Vocês podem verificar, por favor?', author: { id: `p-${handle}`, handle: `joao${handle}`, name: 'João Lima' } });
  const alertRow = board.locator('tr[data-alert]:not(.acked)').filter({ hasText: 'ana' }).first();
  await alertRow.waitFor({ timeout: 20_000 });
  ok('SLA alert of the unanswered case arrives on the board');
  const alertId = await alertRow.getAttribute('data-alert');
  const anaCase = alertId.split('#')[0];
  await board.screenshot({ path: `${shots}/04-board.png` });
  await axe(board, 'board');
  await alertRow.getByRole('button', { name: 'Acknowledge' }).click();
  await board.locator(`tr[data-alert="${alertId}"]`).getByText('acknowledged by sam').waitFor({ timeout: 5000 });
  ok('supervisor acknowledges the alert');

  // Supervisor edits Ben's profile.
  await board.goto(`${base}/console/#/agent/ben`);
  await board.getByLabel('Capacity', { exact: true }).fill('4');
  await board.screenshot({ path: `${shots}/05-agent.png` });
  await axe(board, 'agent profile');
  await board.getByRole('button', { name: 'Save profile' }).click();
  await board.getByRole('heading', { name: 'Live board' }).waitFor();
  const agents = await (await fetch(`${base}/v1/agents`, { headers: { authorization: `Bearer ${token}` } })).json();
  check(agents.agents.find((a) => a.id === 'ben')?.capacity === 4, 'agent profile saved through PUT /v1/agents/{id}');

  // Ben cannot open Ana's case by URL.
  await page.goto(`${base}/console/#/case/${encodeURIComponent(anaCase)}`);
  await page.getByRole('heading', { name: 'Case not found' }).waitFor();
  check((await page.getByText('Olá, meu pedido').count()) === 0, "an agent cannot open another agent's case by URL");
  await page.screenshot({ path: `${shots}/06-not-yours.png` });

  // Ana signs in through the (stand-in) Cognito hosted UI: authorization code with PKCE.
  const anaCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const ana = await anaCtx.newPage();
  await ana.goto(`${base}/console/`);
  await ana.getByRole('button', { name: 'Sign in with Cognito' }).click();
  await ana.getByRole('heading', { name: 'My work' }).waitFor();
  check((await ana.locator('#nav .who').textContent()) === 'ana', 'Cognito sign-in (code + PKCE S256) lands as the token says');
  check(!ana.url().includes('code='), 'the code leaves the address bar');
  await anaCtx.close();

  // Phone width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/console/#/`);
  await page.getByRole('heading', { name: 'My work' }).waitFor();
  await page.screenshot({ path: `${shots}/07-phone-desk.png` });
  await page.goto(`${base}/console/#/case/${encodeURIComponent(caseId)}`);
  await page.getByRole('heading', { name: `Case ${caseId}` }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, 'case view fits a phone (no sideways scroll)', `overflow ${overflow}px`);
  await page.screenshot({ path: `${shots}/08-phone-case.png`, fullPage: true });

  // The policy holds in the browser: an inline script is refused.
  const before = problems.length;
  await page.addScriptTag({ content: 'window.__inline = 1' }).catch(() => {});
  check((await page.evaluate(() => window.__inline)) === undefined, 'the browser refuses an inline script (CSP)');
  problems.splice(before);

  const stored = await page.evaluate(() => ({ local: localStorage.length, session: Object.keys(sessionStorage) }));
  check(stored.local === 0 && stored.session.every((k) => k === 'socialcare.session'), 'only the session token is stored, in sessionStorage', JSON.stringify(stored));
  check(problems.length === 0, 'no dialog, script error or CSP violation', problems.join(' | '));
}

main()
  .catch((e) => {
    failed++;
    console.log(`FAIL ${e.stack ?? e}`);
  })
  .finally(() => {
    clearTimeout(guard);
    console.log(`console: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
