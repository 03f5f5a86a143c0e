// Login journeys: a parent to /mon-compte, wrong password in an alert,
// keyboard alone, the `retour` parameter (same origin only), a staff
// member with the authenticator code field then the forced password
// change to /admin, and a pupil's first login with the activation code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { DEMO_PASSWORD, axe_violations, new_page, screenshot, setup, totp } from './harness.mjs';

let server;
let browser;
setup((s, b) => {
  server = s;
  browser = b;
}, { staff: [{ login: 'secretariat.test', role: 'secretariat', scope: '0751234A' }], oidc: true });

const same_origin = (requests) => requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith('data:'));

async function api_status(identifier, password) {
  const r = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ identifier, password }),
  });
  return r.status;
}

test('a parent logs in and reaches /mon-compte; a wrong password is said in an alert', async () => {
  const { context, page, requests } = await new_page(browser);
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant', { exact: true }).fill('m.dupont');
  await page.getByLabel('Mot de passe', { exact: true }).fill('pas-le-bon-mot-de-passe');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /identifiant ou le mot de passe est incorrect/);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('role')), 'alert');
  await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${server.url}/mon-compte`);
  await page.getByText('Marie Dupont').waitFor();
  assert.deepEqual(same_origin(requests), []);
  await context.close();
});

test('keyboard alone: Tab, typing and Enter log in', async () => {
  const { context, page } = await new_page(browser, { width: 360, height: 800 });
  await page.goto(`${server.url}/`);
  const focused = () => page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim());
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Aller au contenu');
  await page.keyboard.press('Enter');
  assert.equal(await focused(), 'contenu');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'identifier');
  await page.keyboard.type('l.dupont');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'password');
  await page.keyboard.type(DEMO_PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${server.url}/mon-compte`);
  await page.getByText('Lucas Dupont').waitFor();
  await context.close();
});

test('retour: a path of this site is followed after login, anything else ignored', async () => {
  for (const [retour, expected] of [
    ['/aide', '/aide'],
    ['https://ailleurs.example/piege', '/mon-compte'],
    ['//ailleurs.example/piege', '/mon-compte'],
    ['/\\ailleurs.example', '/mon-compte'],
  ]) {
    const { context, page } = await new_page(browser);
    await page.goto(`${server.url}/?retour=${encodeURIComponent(retour)}`);
    await page.getByLabel('Identifiant', { exact: true }).fill('m.dupont');
    await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(`${server.url}${expected}`);
    await context.close();
  }
});

test('staff: the authenticator code field appears on otp_required, then a new password, then /admin', async () => {
  const staff = server.staff['secretariat.test'];
  const { context, page, requests } = await new_page(browser);
  await page.goto(`${server.url}/`);
  const otp = page.getByLabel("Code de l'application d'authentification");
  assert.equal(await otp.isVisible(), false);
  await page.getByLabel('Identifiant', { exact: true }).fill('secretariat.test');
  await page.getByLabel('Mot de passe', { exact: true }).fill(staff.password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await otp.waitFor();
  assert.equal(await otp.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await otp.getAttribute('inputmode'), 'numeric');
  assert.match(await page.getByRole('alert').innerText(), /code à 6 chiffres/);
  await otp.fill(totp(staff.totp));
  await page.getByRole('button', { name: 'Se connecter' }).click();
  // A provisional password: the change form, without asking for it again.
  await page.getByLabel('Nouveau mot de passe').waitFor();
  assert.equal(await page.getByLabel('Mot de passe', { exact: true }).count(), 0);
  await page.getByLabel('Nouveau mot de passe').fill('Tableau noir, craie blanche 2026');
  await page.getByLabel('Confirmer le mot de passe').fill('Tableau noir, craie blanche 2026');
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.waitForURL(`${server.url}/admin`);
  await page.getByRole('heading', { name: 'Console du personnel' }).waitFor();
  await page.getByText('secretariat.test').waitFor();
  assert.deepEqual(same_origin(requests), []);
  await context.close();
});

test("a pupil's first login with the activation code: weak password reasons, then the change, then /mon-compte", async () => {
  const { context, page } = await new_page(browser, { width: 360, height: 800 });
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant', { exact: true }).fill('e.martin');
  await page.getByLabel('Mot de passe', { exact: true }).fill('ESSA-YEZM-2345-6789');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  const heading = page.getByRole('heading', { name: 'Choisissez votre mot de passe' });
  await heading.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H2');
  assert.deepEqual(await axe_violations(page), []);
  await page.getByLabel('Nouveau mot de passe').fill('emmamartin12');
  await page.getByLabel('Confirmer le mot de passe').fill('emmamartin12');
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.ok(await alert.locator('ul ul li').count() >= 1, 'the reasons, as a list');
  await screenshot(page, 'mot-de-passe-refuse-360');
  await page.locator('label[for=new-password-show]').click();  // the DSFR draws the box on the label
  assert.equal(await page.getByLabel('Nouveau mot de passe').getAttribute('type'), 'text');
  await page.getByLabel('Nouveau mot de passe').fill('Un cartable bleu sous la pluie');
  await page.getByLabel('Confirmer le mot de passe').fill('Un cartable bleu sous la pluie');
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.waitForURL(`${server.url}/mon-compte`);
  await page.getByText('Emma Martin').waitFor();
  assert.equal(await api_status('e.martin', 'Un cartable bleu sous la pluie'), 200);
  assert.equal(await api_status('e.martin', 'ESSA-YEZM-2345-6789'), 401);
  await context.close();
});

test('single sign-on: the authorization sends to the login page with retour, which comes back with a code', async () => {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: server.oidc_client, redirect_uri: `${server.url}/aide`, scope: 'openid profile',
    state: 'etat-42', nonce: 'n-42', code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const { context, page, requests } = await new_page(browser);
  await page.goto(`${server.url}/oidc/authorize?${q}`);
  const login = new URL(page.url());
  assert.equal(login.pathname, '/');
  assert.match(login.searchParams.get('retour'), /^\/oidc\/authorize\?/);
  await page.getByLabel('Identifiant', { exact: true }).fill('m.dupont');
  await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL((u) => u.pathname === '/aide');
  const back = new URL(page.url());
  assert.equal(back.searchParams.get('state'), 'etat-42');
  assert.ok(back.searchParams.get('code'));
  assert.deepEqual(same_origin(requests), []);
  // The service exchanges its code (as its server would), and the account
  // page lists it among the services signed in to.
  const token = await fetch(`${server.url}/oidc/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: `${server.url}/aide`,
      client_id: server.oidc_client, code_verifier: verifier,
    }),
  });
  assert.equal(token.status, 200);
  await page.goto(`${server.url}/mon-compte`);
  const list = page.locator('#services');
  await list.getByText('Service de test').waitFor();
  await assert.doesNotReject(list.getByText('Accès ouvert').waitFor());
  await context.close();
});
