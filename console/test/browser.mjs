// The console in a real browser (Debian's chromium, driven by playwright-core; nothing is
// downloaded). Starts `care serve` on a free 127.0.0.1 port with test/care.toml, then walks the
// stories of issue 18: an agent signs in, sees a new case appear live, takes it, reads the thread
// (a post with HTML in it stays text), is warned that the case changed before answering,
// replies and resolves; a supervisor sees the SLA alert of an unanswered case arrive on the board
// and acknowledges it, and edits an agent; an agent cannot open another agent's case by URL.
// axe-core checks every screen; screenshots go to target/console-shots/. Bounded: 150 s.
//
// Usage: node test/browser.mjs [path/to/care]   (from console/, after `npm run build`)

import { chromium } from 'playwright-core';
import { axe, checkCspHeader, drive, checkFits, checkInlineRefused, checkStorage, ok, check, run, shots, timed, token, watch, webhook } from './harness.mjs';

async function stories(browser, base) {
  await checkCspHeader(base);

  const ben = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ben.newPage();
  const problems = [];
  const violations = [];
  await watch(page, problems, { cspOnly: true, violations });

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
  const samToken = token(['--agent', 'sam', '--supervisor']);
  const sam = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const board = await sam.newPage();
  await watch(board, problems, { cspOnly: true });
  await board.goto(`${base}/console/`);
  await board.getByRole('textbox', { name: 'Token' }).fill(samToken);
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
  const agents = await (await fetch(`${base}/v1/agents`, { headers: { authorization: `Bearer ${samToken}` } })).json();
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
  await checkFits(page, 'case view fits a phone (no sideways scroll)');
  await page.screenshot({ path: `${shots}/08-phone-case.png`, fullPage: true });

  // The policy holds in the browser: an inline script is refused.
  await checkInlineRefused(page, problems, violations);
  await checkStorage(page);
  check(problems.length === 0, 'no dialog, script error or CSP violation', problems.join(' | '));
}

const chromiumDriver = {
  launch: () =>
    chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  pages: (browser) => browser.contexts().flatMap((c) => c.pages()),
};

run('console', 150, () => drive(chromiumDriver, stories));
