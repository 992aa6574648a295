// The console in Firefox: Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi
// (Playwright drives only its own patched Firefox builds; nothing is downloaded here). A shorter
// walk than browser.mjs, for what differs between engines: an agent signs in (development
// sign-in), sees the case in the waiting queue, takes it, reads the thread (a post with HTML in
// it stays text, no dialog), is warned that the case changed, replies; the case view at phone
// width has no sideways scroll; a supervisor's board renders at 1280×800; no dialog, script
// error, console error or securitypolicyviolation; only the session token in sessionStorage.
// Screenshots: target/console-shots/ff-*.png. Bounded: 90 s.
//
// Usage: node test/firefox.mjs [path/to/care]   (from console/, after `npm run build`)

import puppeteer from 'puppeteer-core';
import { axe, checkCspHeader, drive, checkFits, checkInlineRefused, checkStorage, ok, check, run, shots, timed, token, watch, webhook } from './harness.mjs';

const WAIT = { timeout: 8000 };

const firefoxDriver = {
  launch: () =>
    puppeteer.launch({
      browser: 'firefox',
      executablePath: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
      headless: true,
      protocolTimeout: 30_000,
    }),
  pages: (browser) => browser.pages(),
  prefix: 'ff-',
};

/** Waits until the page's h1 reads `text`. */
async function heading(page, text) {
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, WAIT, text);
}

async function walk(browser, base) {
  const version = await browser.version();
  console.log(`browser: ${version}`);
  check(/^firefox\//i.test(version), 'the browser is Firefox (WebDriver BiDi)', version);
  await checkCspHeader(base);
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const problems = [];
  const violations = [];
  await watch(page, problems, { violations });

  // A customer writes before Ben signs in: the case waits in the queue (Ben is away).
  const handle = `fern${Date.now() % 100000}`;
  await webhook(base, { id: `f-${handle}-1`, text: 'My Acme router drops the connection every evening. Can you help?', author: { id: `u-${handle}`, handle, name: 'Fern Alvarez' } });

  // Ben signs in with the development sign-in.
  await page.goto(`${base}/console/`);
  await page.locator('button[data-agent="ben"]').click();
  await heading(page, 'My work');
  await page.waitForSelector('[data-list="waiting"] tr[data-case]', WAIT);
  const caseId = await page.$eval('[data-list="waiting"] tr[data-case]', (r) => r.getAttribute('data-case'));
  check(
    await page.$eval('[data-list="waiting"] tr[data-case]', (r) => r.textContent.includes('drops the connection') && !!r.querySelector('[data-sla]')),
    "agent's list renders the waiting case with its snippet and SLA badge",
  );

  // Takes it with the N key and reads the thread.
  await page.keyboard.press('n');
  await heading(page, `Case ${caseId}`);
  check((await page.$eval('.thread', (t) => t.textContent)).includes('drops the connection every evening'), 'case opens with the customer post in the thread');

  // The customer writes again with HTML in the text: it arrives live, as text.
  const xss = '<img src=x onerror=alert(1)> still dropping';
  await webhook(base, { id: `f-${handle}-2`, text: xss, author: { id: `u-${handle}`, handle, name: 'Fern Alvarez' } });
  await timed('a new customer post appears on the open case live', () => page.waitForSelector('.post.new', WAIT));
  const thread = await page.$eval('.thread', (t) => ({ imgs: t.querySelectorAll('img').length, texts: [...t.querySelectorAll('*')].map((e) => e.textContent) }));
  check(thread.imgs === 0, 'customer HTML is not rendered as an element');
  check(thread.texts.some((t) => t === xss), 'customer HTML is shown as text');
  await page.screenshot({ path: `${shots}/ff-case.png` });
  await axe(page, 'case');

  // Reply: R, type, Ctrl+Enter; warned that the case changed; then sent.
  await page.keyboard.press('r');
  await page.keyboard.type('Sorry, Fern. Please restart the router once; we are checking the line.');
  await page.keyboard.down('Control');
  await page.keyboard.press('Enter');
  await page.keyboard.up('Control');
  await page.waitForSelector('#changed', WAIT);
  ok('warned before answering a case that changed');
  await page.locator('#changed button').click();
  await page.locator('#send').click();
  await page.waitForSelector('.post.outbound', WAIT);
  ok('reply appears in the thread');
  await timed('delivery state of the reply updates live', () => page.waitForSelector('.post.outbound .delivery-sent', WAIT));

  // Phone width: the case view fits.
  await page.setViewport({ width: 390, height: 844 });
  await page.goto(`${base}/console/#/`);
  await heading(page, 'My work');
  await page.goto(`${base}/console/#/case/${encodeURIComponent(caseId)}`);
  await heading(page, `Case ${caseId}`);
  await checkFits(page, 'case view fits a phone (no sideways scroll)');
  await page.screenshot({ path: `${shots}/ff-phone-case.png`, fullPage: true });

  // A supervisor's board at 1280×800 (own user context: its own sessionStorage).
  const samContext = await browser.createBrowserContext();
  const board = await samContext.newPage();
  await board.setViewport({ width: 1280, height: 800 });
  await watch(board, problems, { violations });
  await board.goto(`${base}/console/`);
  await board.locator('#token').fill(token(['--agent', 'sam', '--supervisor']));
  await board.locator('form button[type="submit"]').click();
  await heading(board, 'My work');
  await board.goto(`${base}/console/#/board`);
  await heading(board, 'Live board');
  // The agents table: Ana, and Ben holding the case he took above.
  const agentsShown = await board
    .waitForFunction(() => {
      const rows = [...document.querySelectorAll('section[aria-labelledby="agents-h"] tbody tr')].map((r) => r.textContent);
      return rows.some((r) => r.includes('Ana Souza')) && rows.some((r) => r.includes('Ben Carter') && r.includes('1/3'));
    }, WAIT)
    .then(() => true, () => false);
  check(agentsShown, 'board renders for a supervisor at 1280×800 (agents table: Ben holds 1 of 3)');
  await checkFits(board, 'board fits 1280×800 (no sideways scroll)');
  await board.screenshot({ path: `${shots}/ff-board.png` });
  await axe(board, 'board');
  await samContext.close();

  await checkInlineRefused(page, problems, violations);
  await checkStorage(page);
  check(problems.length === 0, 'no dialog, script error, console error or CSP violation', problems.join(' | '));
}

run('console in Firefox', 90, () => drive(firefoxDriver, walk));
