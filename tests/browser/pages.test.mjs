// Every public page: French, one h1, "Action — Sésame" titles, a skip link
// first in the tab order, no serious or critical axe violation (WCAG 2 A
// and AA), no horizontal scroll at 360 px or at 200 % zoom, screenshots at
// 360 and 1280 px; the security and cache headers, 304, gzip, HEAD; the
// login page's weight on a first and a return visit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as http_request } from 'node:http';
import { axe_violations, log_events, new_page, screenshot, setup } from './harness.mjs';

let server;
let browser;
setup((s, b) => {
  server = s;
  browser = b;
});

// [path, screenshot name, a text the page shows once its module has run]
const pages = [
  ['/', 'connexion', 'Se connecter à Sésame'],
  ['/identifiant-oublie', 'identifiant-oublie', 'Identifiant oublié'],
  ['/mot-de-passe-oublie', 'mot-de-passe-oublie', 'Qui êtes-vous'],
  ['/reinitialisation', 'reinitialisation', 'Ouvrez le lien reçu par courriel'],
  ['/activation', 'activation', 'Votre numéro de téléphone portable'],
  ['/mon-compte/confirmer', 'confirmer', 'Le lien est incomplet'],
  ['/aide', 'aide', 'Ma référence de demande'],
  ['/page-qui-n-existe-pas', '404', 'Page introuvable'],
];

describe('every page', () => {
  for (const [path, name, shown] of pages) {
    test(`${path}: language, title, headings, skip link, axe, 360 px, screenshots`, async () => {
      const { context, page, requests } = await new_page(browser, { width: 360, height: 800 });
      const res = await page.goto(`${server.url}${path}`);
      assert.equal(res.status(), name === '404' ? 404 : 200);
      await page.getByText(shown).first().waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
      assert.match(await page.title(), /^\S.* — Sésame$/);
      assert.equal(await page.locator('h1').count(), 1);
      // The skip link comes first in the tab order (pages whose module showed
      // a result have moved focus to its heading: start again from the top).
      await page.evaluate(() => {
        document.activeElement?.blur();
        window.getSelection().removeAllRanges();
        document.body.tabIndex = -1;
        document.body.focus();
      });
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Aller au contenu');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'contenu');
      assert.deepEqual(await axe_violations(page), []);
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(await overflow(), 0, 'horizontal scroll at 360 px');
      await screenshot(page, `${name}-360`);
      // 200 % zoom of a 1280 px screen: a 640 px wide layout.
      await page.setViewportSize({ width: 640, height: 800 });
      assert.equal(await overflow(), 0, 'horizontal scroll at 200 % zoom');
      await page.setViewportSize({ width: 1280, height: 900 });
      await screenshot(page, `${name}-1280`);
      assert.deepEqual(requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith('data:')), []);
      await context.close();
    });
  }
});

// One raw HTTP request (no automatic decompression): {status, headers, body}.
function raw(method, path, headers = {}) {
  return new Promise((ok, fail) => {
    const req = http_request(`${server.url}${path}`, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

function assert_security_headers(h) {
  assert.match(h['content-security-policy'], /default-src 'self'/);
  assert.match(h['content-security-policy'], /script-src 'self';/);
  assert.doesNotMatch(h['content-security-policy'], /unsafe-inline/);
  assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(h['referrer-policy'], 'no-referrer');
  assert.equal(h['x-frame-options'], 'DENY');
}

describe('headers', () => {
  test('a page: security headers, no-cache, ETag, 304, gzip, HEAD', async () => {
    const page = await raw('GET', '/');
    assert.equal(page.status, 200);
    assert_security_headers(page.headers);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.headers['content-type'], /^text\/html; charset=utf-8$/);
    assert.match(page.headers.etag, /^"[0-9a-f]+"$/);
    const again = await raw('GET', '/', { 'If-None-Match': page.headers.etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, page.headers.etag);
    const gz = await raw('GET', '/', { 'Accept-Encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    assert.ok(gz.body.length < page.body.length);
    const head = await raw('HEAD', '/', { 'Accept-Encoding': 'gzip' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(gz.body.length));
  });

  test('hashed assets: immutable for a year, same headers; a wrong hash is the 404 page', async () => {
    const html = (await raw('GET', '/')).body.toString();
    const assets = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.some((a) => /\/assets\/app\.[0-9a-f]+\.css$/.test(a)), 'stylesheet under a hashed name');
    assert.ok(assets.some((a) => /\/assets\/login\.[0-9a-f]+\.js$/.test(a)), 'module under a hashed name');
    for (const a of assets) {
      const r = await raw('GET', a, { 'Accept-Encoding': 'gzip, br' });
      assert.equal(r.status, 200, a);
      assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert_security_headers(r.headers);
      assert.ok(r.headers.etag);
      assert.equal((await raw('GET', a, { 'If-None-Match': r.headers.etag })).status, 304);
    }
    const wrong = await raw('GET', '/assets/app.0000000000.css');
    assert.equal(wrong.status, 404);
    assert.match(wrong.headers['content-type'], /^text\/html/);
    assert_security_headers(wrong.headers);
    const api = await raw('GET', '/api/v1/nowhere');
    assert.equal(api.status, 404);
    assert.match(api.headers['content-type'], /^application\/json/);
  });

  test("the login page's first visit weighs at most 275 KiB in at most 10 requests; a return visit fetches only the page", async () => {
    const { context, page } = await new_page(browser, { width: 360, height: 800 });
    const responses = [];
    page.on('response', (r) => responses.push(r));
    await page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
    let bytes = 0;
    for (const r of responses) {
      const sizes = await r.request().sizes();
      bytes += sizes.responseBodySize + sizes.responseHeadersSize;
    }
    console.log(`login page, first visit: ${responses.length} requests, ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`);
    assert.ok(responses.length <= 10, `${responses.length} requests`);
    assert.ok(bytes <= 275 * 1024, `${bytes} bytes`);
    assert.ok(responses.some((r) => r.url().endsWith('.woff2')), 'the Marianne font is part of the visit');
    // Return visit: only the page reaches the server (a 304), assets come from the cache.
    await page.goto(`${server.url}/aide`, { waitUntil: 'networkidle' });
    const mark = server.lines.length;
    await page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
    const seen = log_events(server, 'request', mark);
    assert.deepEqual(seen.map((e) => [e.route, e.status]), [['/', 304]]);
    await context.close();
  });
});

test('help: the reference field explains its format and checks what is typed', async () => {
  const { context, page } = await new_page(browser, { width: 360, height: 800 });
  await page.goto(`${server.url}/aide`);
  for (const [symptom, who] of [
    ['Je ne reçois pas le SMS', 'secrétariat de scolarité'],
    ["Le courriel n'arrive pas", 'vie scolaire (CPE)'],
    ['Mon identifiant est refusé', 'support académique'],
    ['La page de connexion revient sans cesse', 'navigation privée'],
  ]) {
    await page.getByRole('link', { name: symptom }).click();
    const section = await page.locator(`section:has(h2:text("${symptom}"))`).innerText();
    assert.ok(section.includes(who), `${symptom}: ${who}`);
  }
  const field = page.getByLabel('Référence de la demande');
  assert.match(await page.locator(`#${await field.getAttribute('aria-describedby')}`).innerText(), /R-XXXX-XXXX/);
  await field.fill('R-0000-1111');
  await page.getByRole('button', { name: 'Vérifier la référence' }).click();
  assert.match(await page.getByRole('alert').innerText(), /pas la bonne forme/);
  await field.fill(' r 7k3f 92qx ');
  await page.getByRole('button', { name: 'Vérifier la référence' }).click();
  await page.getByRole('heading', { name: 'La référence R-7K3F-92QX est bien formée' }).waitFor();
  assert.equal(await field.inputValue(), 'R-7K3F-92QX');
  await context.close();
});
