// What the browser tests share, whatever drives the browser (playwright-core for Debian's
// chromium in browser.mjs, puppeteer-core for Debian's firefox-esr in firefox.mjs): the checks
// and their count, `care serve` on a free 127.0.0.1 port with test/care.toml behind a forum that
// takes replies and a stand-in for Cognito's hosted UI, signed webhooks, tokens, axe-core, and
// the page checks both drivers run the same way (page.evaluate, page.on events).

import { spawn, execFileSync } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
export const care = resolve(process.argv[2] ?? `${repo}/target/debug/care`);
export const shots = `${repo}/target/console-shots`;
const axeSource = readFileSync(resolve(here, '../node_modules/axe-core/axe.min.js'), 'utf8');
const SECRET = 'whsec_' + Buffer.from('console-test-forum-signing-key').toString('base64');
const env = { ...process.env, CARE_JWT_SECRET: 'console-test-jwt-key-of-at-least-thirty-two-bytes', CONSOLE_TEST_FORUM_SECRET: SECRET, RUST_LOG: 'warn' };
export const LIVE_MS = 5000;

let passed = 0;
let failed = 0;

export function ok(name) {
  passed++;
  console.log(`ok   ${name}`);
}
export function check(cond, name, detail = '') {
  if (cond) ok(name);
  else {
    failed++;
    console.log(`FAIL ${name} ${detail}`);
  }
}

/** Runs a test's main within `seconds`, prints the count and exits 0 only when all passed. */
export function run(label, seconds, main) {
  const guard = setTimeout(() => {
    console.error(`${label} test: over ${seconds} s, stopping`);
    process.exit(2);
  }, seconds * 1000);
  mkdirSync(shots, { recursive: true });
  main()
    .catch((e) => {
      failed++;
      console.log(`FAIL ${e.stack ?? e}`);
    })
    .finally(() => {
      clearTimeout(guard);
      console.log(`${label}: ${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    });
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

/** A token of `care token` (args: e.g. ['--agent', 'sam', '--supervisor']). */
export function token(args) {
  return execFileSync(care, ['token', ...args], { env }).toString().trim();
}

/** Posts a Standard Webhooks-signed generic webhook, as a forum would. */
export async function webhook(base, data) {
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

/**
 * Starts `care serve` (development sign-in on, ticks of 200 ms) with the forum's reply endpoint
 * and the Cognito stand-in; returns { base, replies, stop }.
 */
export async function startCare() {
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
      res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token(['--agent', 'ana']), token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  const oauthPort = await new Promise((res) => oauth.listen(0, '127.0.0.1', () => res(oauth.address().port)));
  const server = spawn(
    care,
    ['serve', '--cognito-domain', `http://127.0.0.1:${oauthPort}`, '--cognito-client-id', 'console-test', '--config', config, '--port', String(port), '--tick-ms', '200', '--dev-sign-in', '--console-dir', resolve(here, '../dist')],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const kill = () => server.kill('SIGTERM');
  process.on('exit', kill);
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/v1/openapi.json`)).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = () => {
    kill();
    receiver.close();
    oauth.close();
  };
  return { base, replies, stop };
}

/**
 * Starts `care serve` (startCare), launches a browser with `launch()` and runs `walk(browser,
 * base)`; on a failure, screenshots every page of `pages(browser)` as `${prefix}failure-N.png`;
 * closes the browser and the server in any case.
 */
export async function drive({ launch, pages, prefix = '' }, walk) {
  const { base, replies, stop } = await startCare();
  let browser;
  try {
    browser = await launch();
    await walk(browser, base);
  } catch (e) {
    if (browser) for (const [i, p] of (await pages(browser)).entries()) await p.screenshot({ path: `${shots}/${prefix}failure-${i}.png` }).catch(() => {});
    throw e;
  } finally {
    console.log(`replies received by the forum: ${replies.length}`);
    await browser?.close();
    stop();
  }
}

/** The page's own Content-Security-Policy header. */
export async function checkCspHeader(base) {
  const csp = (await fetch(`${base}/console/`)).headers.get('content-security-policy') ?? '';
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), 'CSP without unsafe-inline', csp);
}

/**
 * Collects into `problems` what must not happen on a page: a dialog (dismissed), an uncaught
 * script error, a console error (all of them, or with cspOnly those naming the Content Security
 * Policy), and, when `violations` is given, every `securitypolicyviolation` event of the page,
 * reported through an exposed function (so it survives navigations).
 */
export async function watch(page, problems, { cspOnly = false, violations } = {}) {
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && (!cspOnly || /Content.Security.Policy/i.test(m.text()))) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message ?? e}`));
  if (violations) {
    await page.exposeFunction('__cspViolation', (v) => {
      violations.push(v);
      problems.push(`securitypolicyviolation: ${v}`);
    });
    const listen = () =>
      document.addEventListener('securitypolicyviolation', (e) => {
        // eslint-disable-next-line no-undef
        void window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
      });
    // playwright-core: addInitScript; puppeteer-core: evaluateOnNewDocument.
    await (page.addInitScript ? page.addInitScript(listen) : page.evaluateOnNewDocument(listen));
  }
}

export async function axe(page, screen) {
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

export async function timed(name, f, limit = LIVE_MS) {
  const t0 = Date.now();
  await f();
  const ms = Date.now() - t0;
  check(ms <= limit, `${name} (${ms} ms, limit ${limit} ms)`);
}

/** No sideways scroll at the page's current width. */
export async function checkFits(page, name) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, name, `overflow ${overflow}px`);
}

/**
 * The page's CSP holds in the browser: an inline script added to the page does not run, and (when
 * the page is watched for violations) the refusal arrives as a `securitypolicyviolation`, which
 * shows that listener works. What this deliberate refusal reports is taken out of `problems`.
 */
export async function checkInlineRefused(page, problems, violations) {
  const before = problems.length;
  const seen = violations?.length ?? 0;
  await page
    .evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.head.append(s);
    })
    .catch(() => {});
  check((await page.evaluate(() => window.__inline)) === undefined, 'the browser refuses an inline script (CSP)');
  if (violations) {
    for (let i = 0; i < 30 && violations.length === seen; i++) await new Promise((r) => setTimeout(r, 100));
    check(violations.length > seen, 'the refusal arrives as a securitypolicyviolation event (the listener works)');
  }
  await new Promise((r) => setTimeout(r, 200));
  problems.splice(before);
}

/** Nothing in localStorage; in sessionStorage only the session (its token, who, role). */
export async function checkStorage(page) {
  const stored = await page.evaluate(() => ({ local: localStorage.length, session: Object.keys(sessionStorage) }));
  check(stored.local === 0 && stored.session.every((k) => k === 'socialcare.session'), 'only the session token is stored, in sessionStorage', JSON.stringify(stored));
}
