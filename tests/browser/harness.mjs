// Shared by the browser tests: the real build/sesame on a free loopback
// port in a temporary directory (demo accounts, file outbox, a tiny Argon2
// cost), staff accounts made with `sesame staff add` before it starts, the
// outbox read as JSON lines, TOTP codes, and Debian's chromium driven by
// playwright-core with every request recorded. Waits are on conditions
// (a log line, a file's content, a page state), never fixed sleeps.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.SESAME_BIN || resolve(here, '..', '..', 'build', 'sesame');
export const ARTIFACTS = process.env.SESAME_BROWSER_ARTIFACTS || resolve(here, '..', '..', 'build', 'browser-artifacts');
export const CHROMIUM = process.env.SESAME_CHROMIUM || '/usr/bin/chromium';
export const DEMO_PASSWORD = 'Sesame-demo-2026!';

// ---- the server ------------------------------------------------------------

// Starts `sesame serve` (demo accounts); staff: [{login, role, scope}]
// created first with `sesame staff add`; oidc: a public client registered
// first, its redirect URI this server's /aide (server.oidc_client).
// Resolves to {url, dir, store, staff: {login: {password, totp}}, stop()}.
export async function start_server({ staff = [], args = [], oidc = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sesame-browser-'));
  const store = join(dir, 'data');
  const accounts = {};
  for (const s of staff) {
    const r = spawnSync(BIN, ['staff', 'add', '--store.path', store, '--login', s.login, '--role', s.role,
      ...(s.scope ? ['--scope', s.scope] : [])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`staff add ${s.login}: ${r.stderr}`);
    const password = r.stdout.match(/^password: (.+)$/m)[1].trim();
    const totp = r.stdout.match(/^totp: (otpauth:\/\/\S+)$/m)[1];
    accounts[s.login] = { password, totp };
  }
  // The browser sends Origin on every POST, which must be http.public_url's:
  // so the port is chosen first (free a moment ago) and named in both.
  const port = await free_port();
  // A public single sign-on client whose redirect is a page of this server
  // (so a test's requests never leave the origin).
  let oidc_client = null;
  if (oidc) {
    const r = spawnSync(BIN, ['oidc', 'client', 'add', '--store.path', store, '--name', 'Service de test',
      '--redirect-uri', `http://127.0.0.1:${port}/aide`, '--public'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`oidc client add: ${r.stderr}`);
    oidc_client = r.stdout.match(/^client_id: (\S+)$/m)[1];
  }
  const proc = spawn(BIN, ['serve', '--store.path', store, '--http.listen', `127.0.0.1:${port}`,
    '--http.public_url', `http://127.0.0.1:${port}`, '--demo.seed', 'true',
    '--password.argon2_memory_kib', '8', '--password.argon2_iterations', '1', '--workers.hash_threads', '1',
    '--recovery.resend_cooldown', '60s', '--log.level', 'info', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = [];
  const address = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`sesame did not start:\n${lines.join('\n')}`)), 20000);
    createInterface({ input: proc.stderr }).on('line', (line) => {
      lines.push(line);
      try {
        const ev = JSON.parse(line);
        if (ev.event === 'listening') {
          clearTimeout(timer);
          ok(ev.address);
        }
      } catch { /* not JSON */ }
    });
    proc.on('exit', (code) => fail(new Error(`sesame exited (${code}):\n${lines.join('\n')}`)));
  });
  return {
    url: `http://${address}`,
    dir,
    store,
    staff: accounts,
    oidc_client,
    lines,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((ok) => proc.on('exit', ok));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function free_port() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

// Server log events named `name` (JSON lines of stderr), from index `from`.
export const log_events = (server, name, from = 0) => server.lines.slice(from)
  .map((l) => { try { return JSON.parse(l); } catch { return {}; } }).filter((e) => e.event === name);

// ---- the file outbox -------------------------------------------------------

// Complete JSON lines of the outbox (a last line without its newline is
// still being written and left for the next read).
export function outbox(server) {
  const path = join(server.store, 'outbox.log');
  if (!existsSync(path)) return [];
  const data = readFileSync(path, 'utf8');
  return data.slice(0, data.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// Waits until a message matching `pred` is in the outbox (the workers append
// asynchronously); resolves to the newest such message.
export async function wait_for_message(server, pred, { after = 0, timeout = 15000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = outbox(server).slice(after).filter(pred);
    if (found.length) return found.at(-1);
    if (Date.now() > deadline) throw new Error(`no outbox message matched within ${timeout} ms:\n${JSON.stringify(outbox(server), null, 1)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const six_digits = (m) => m.text.match(/\b(\d{6})\b/)[1];

// ---- TOTP (RFC 6238: SHA-1, 6 digits, 30 s) ---------------------------------

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

export function totp(uri, at = Date.now()) {
  const secret = base32(new URL(uri).searchParams.get('secret'));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// ---- the browser -------------------------------------------------------------

// For a test file: a server (start_server's options) and a browser before
// its tests, both stopped after them; assign(server, browser) receives them.
export function setup(assign, options = {}) {
  let server;
  let browser;
  before(async () => {
    server = await start_server(options);
    browser = await launch();
    assign(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // A fresh profile each launch (Playwright makes a temporary user-data dir).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// A new context (its own cookies and cache) whose every request URL is kept
// in `requests`.
export async function new_page(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'fr-FR' });
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  return { context, page, requests };
}

// Serious and critical axe violations (WCAG 2 A and AA) on the page as it is.
export async function axe_violations(page) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// Logs in through the API from node (a second device): returns its cookie.
export async function api_login(server, identifier, password, user_agent = 'Mozilla/5.0 (Android 14) Firefox/130.0') {
  const r = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': user_agent },
    body: JSON.stringify({ identifier, password }),
  });
  if (r.status !== 200) throw new Error(`api login ${identifier}: ${r.status}`);
  return r.headers.get('set-cookie').split(';')[0];
}

// A staff session through the API alone (password, TOTP, the forced change
// of the provisional password): returns its cookie, for setting up data.
export async function staff_api_session(server, login) {
  const staff = server.staff[login];
  const post = (path, body, cookie) => fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) },
    body: JSON.stringify(body),
  });
  const r = await post('/api/v1/session', { identifier: login, password: staff.password, otp: totp(staff.totp) });
  if (r.status !== 200) throw new Error(`staff login ${login}: ${r.status}`);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const fresh = `${staff.password}-changé`;
  const change = await post('/api/v1/me/password', { current_password: staff.password, new_password: fresh }, cookie);
  if (change.status !== 204) throw new Error(`staff password change ${login}: ${change.status}`);
  staff.password = fresh;
  return cookie;
}

// Logs in through the page (identifier, password) and waits for `then`.
export async function ui_login(page, server, identifier, password, then = '/mon-compte') {
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant', { exact: true }).fill(identifier);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${server.url}${then}`);
}
