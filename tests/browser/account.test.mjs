// The account page: identity and masked contacts, devices (this one marked,
// another logged out, then all others), the journal and its paging, the
// password and e-mail changes, the e-mail confirmation link, logout; and
// without a session, the way back through the login page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO_PASSWORD, api_login, axe_violations, new_page, outbox, screenshot, setup, ui_login, wait_for_message,
} from './harness.mjs';

let server;
let browser;
setup((s, b) => {
  server = s;
  browser = b;
});

async function me_status(cookie) {
  return (await fetch(`${server.url}/api/v1/me`, { headers: { Cookie: cookie } })).status;
}

test('without a session, /mon-compte goes to the login page and comes back', async () => {
  const { context, page } = await new_page(browser);
  await page.goto(`${server.url}/mon-compte`);
  await page.waitForURL(`${server.url}/?retour=%2Fmon-compte`);
  await page.getByLabel('Identifiant', { exact: true }).fill('l.dupont');
  await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${server.url}/mon-compte`);
  await context.close();
});

test('devices: this one marked, another logged out, then all the others', async () => {
  const other = await api_login(server, 'm.dupont', DEMO_PASSWORD);
  const { context, page, requests } = await new_page(browser, { width: 360, height: 800 });
  await ui_login(page, server, 'm.dupont', DEMO_PASSWORD);
  const devices = page.locator('#appareils > li');
  await devices.nth(1).waitFor();
  assert.equal(await devices.count(), 2);
  const mine = page.locator('#appareils > li.portal-current');
  assert.match(await mine.innerText(), /cet appareil/i);
  assert.equal(await mine.getByRole('button').count(), 0);
  assert.match(await page.getByText('Marie Dupont').innerText(), /Marie Dupont/);
  assert.match(await page.locator('[data-slot=phone]').innerText(), /••/);
  assert.deepEqual(await axe_violations(page), []);
  await screenshot(page, 'mon-compte-360');
  await page.getByRole('button', { name: 'Déconnecter cet appareil' }).click();
  await page.getByRole('heading', { name: 'Appareil déconnecté' }).waitFor();
  assert.equal(await devices.count(), 1);
  assert.equal(await me_status(other), 401);

  const third = await api_login(server, 'm.dupont', DEMO_PASSWORD);
  const fourth = await api_login(server, 'm.dupont', DEMO_PASSWORD, 'Mozilla/5.0 (iPhone) Safari/605.1');
  await page.reload();
  await devices.nth(2).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Déconnecter cet appareil' }).count(), 2);
  await page.getByRole('button', { name: 'Déconnecter tous les autres appareils' }).click();
  await page.getByText('Seul cet appareil reste connecté.').waitFor();
  assert.equal(await devices.count(), 1);
  assert.equal(await me_status(third), 401);
  assert.equal(await me_status(fourth), 401);
  assert.deepEqual(requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith('data:')), []);
  await context.close();
});

test('the activity journal, newest first, pages back', async () => {
  for (let i = 0; i < 11; i += 1) await api_login(server, 'l.dupont', DEMO_PASSWORD);
  const { context, page } = await new_page(browser);
  await ui_login(page, server, 'l.dupont', DEMO_PASSWORD);
  const lines = page.locator('#journal > li');
  await lines.nth(9).waitFor();
  assert.equal(await lines.count(), 10);
  assert.match(await lines.first().innerText(), /Connexion réussie/);
  assert.deepEqual(await axe_violations(page), []);
  await screenshot(page, 'mon-compte-1280');
  await page.getByRole('button', { name: 'Afficher les événements plus anciens' }).click();
  await lines.nth(10).waitFor();
  assert.ok(await lines.count() > 10);
  await context.close();
});

test('password change: a wrong current password on its field, then the change', async () => {
  const { context, page } = await new_page(browser);
  await ui_login(page, server, 'l.dupont', DEMO_PASSWORD);
  await page.getByLabel('Mot de passe actuel').fill('pas-le-bon-du-tout');
  await page.getByLabel('Nouveau mot de passe').fill('Une girafe lit sous le préau');
  await page.getByLabel('Confirmer le mot de passe').fill('Une girafe lit sous le préau');
  await page.getByRole('button', { name: 'Changer le mot de passe' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.getByLabel('Mot de passe actuel').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Mot de passe actuel').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Changer le mot de passe' }).click();
  await page.getByRole('heading', { name: 'Mot de passe changé' }).waitFor();
  const cookie = await api_login(server, 'l.dupont', 'Une girafe lit sous le préau');
  assert.equal(await me_status(cookie), 200);
  await context.close();
});

test('e-mail change, the confirmation link, then logout', async () => {
  const { context, page } = await new_page(browser);
  await ui_login(page, server, 'm.dupont', DEMO_PASSWORD);
  const before_count = outbox(server).length;
  await page.getByLabel('Adresse électronique').fill('marie.nouvelle@example.fr');
  await page.getByRole('button', { name: "Enregistrer l'adresse" }).click();
  await page.getByText('Vérifiez votre messagerie').waitFor();
  const mail = await wait_for_message(server, (m) => m.channel === 'email' && m.to === 'marie.nouvelle@example.fr',
    { after: before_count });
  const link = new URL(mail.text.match(/https?:\/\/\S+\/mon-compte\/confirmer#token=\S+/)[0]);
  await page.goto(`${server.url}${link.pathname}${link.hash}`);
  await page.getByRole('heading', { name: 'Votre adresse est confirmée' }).waitFor();
  assert.match(await page.getByRole('status').first().innerText(), /marie\.nouvelle@example\.fr/);
  await screenshot(page, 'adresse-confirmee-1280');
  await page.getByRole('link', { name: 'Aller à mon compte' }).click();
  await page.getByText('(confirmée)').waitFor();
  const cookie = (await context.cookies()).find((c) => c.name === 'sesame_session');
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(`${server.url}/`);
  assert.equal(await me_status(`sesame_session=${cookie.value}`), 401);
  await context.close();
});
