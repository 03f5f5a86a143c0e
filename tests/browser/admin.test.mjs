// The staff console over the staff routes: a school office (secretariat)
// logs in with its authenticator code, searches, opens a record with its
// flows and deliveries, changes a phone, issues an activation code, looks
// up a reference a parent read out; the audit log is hidden from it and
// shown to the head of school (direction).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axe_violations, new_page, outbox, screenshot, setup, totp, wait_for_message } from './harness.mjs';

let server;
let browser;
setup((s, b) => {
  server = s;
  browser = b;
}, {
    staff: [
      { login: 'secretariat.test', role: 'secretariat', scope: '0751234A' },
      { login: 'direction.test', role: 'direction', scope: '0751234A' },
    ],
  });

// Logs a staff member in through the login page (code, then the forced
// change of the provisional password) and waits for the console.
async function staff_login(page, login) {
  const staff = server.staff[login];
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant', { exact: true }).fill(login);
  await page.getByLabel('Mot de passe', { exact: true }).fill(staff.password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  const otp = page.getByLabel("Code de l'application d'authentification");
  await otp.waitFor();
  await otp.fill(totp(staff.totp));
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByLabel('Nouveau mot de passe').fill('Registre des absences du mardi 2026');
  await page.getByLabel('Confirmer le mot de passe').fill('Registre des absences du mardi 2026');
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.waitForURL(`${server.url}/admin`);
  await page.getByText(login, { exact: true }).waitFor();
}

test('secretariat: search, record with flows, phone change, activation code, reference lookup; no audit log', async () => {
  // A parent's request, whose reference the school office will be read out.
  const asked = await fetch(`${server.url}/api/v1/recovery/password`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ identifier: 'm.dupont', profile: 'parent' }),
  }).then((r) => r.json());
  await wait_for_message(server, (m) => m.reference === asked.reference);

  const { context, page, requests } = await new_page(browser);
  await staff_login(page, 'secretariat.test');
  assert.equal(await page.locator('#audit-zone').isVisible(), false);

  await page.getByLabel('Rechercher un compte').fill('dupont');
  await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
  await page.getByRole('button', { name: 'm.dupont' }).waitFor();
  await page.getByRole('button', { name: 'l.dupont' }).waitFor();
  assert.deepEqual(await axe_violations(page), []);

  await page.getByRole('button', { name: 'm.dupont' }).click();
  await page.getByRole('heading', { name: 'Compte m.dupont' }).waitFor();
  assert.match(await page.locator('#fiche').innerText(), /\+33612345678/);
  assert.match(await page.locator('#fiche-demandes').innerText(), new RegExp(asked.reference));
  assert.match(await page.locator('#fiche-demandes').innerText(), /Remis à la passerelle|Distribué|En attente/);

  const phone_form = page.locator('#telephone');
  await phone_form.getByLabel('Numéro de téléphone portable').fill('07 11 22 33 44');
  await phone_form.getByRole('button', { name: 'Enregistrer' }).click();
  await phone_form.getByText('Enregistré').waitFor();
  assert.match(await page.locator('#fiche').innerText(), /\+33711223344/);
  await phone_form.getByLabel('Numéro de téléphone portable').fill('01 23 45 67 89');
  await phone_form.getByRole('button', { name: 'Enregistrer' }).click();
  await phone_form.getByRole('alert').waitFor();
  assert.match(await phone_form.getByRole('alert').innerText(), /portable/);

  await page.getByRole('button', { name: "Générer un code d'activation" }).click();
  const code = (await page.locator('#code-genere').innerText()).trim();
  assert.ok(code.length >= 12, code);
  const login = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ identifier: 'm.dupont', password: code }),
  }).then((r) => r.json());
  assert.equal(login.must_change_password, true);

  await page.getByLabel('Référence de la demande').fill(asked.reference.toLowerCase());
  await page.getByRole('button', { name: 'Rechercher la demande' }).click();
  await page.getByRole('heading', { name: `Demande ${asked.reference}` }).waitFor();
  assert.match(await page.locator('#diagnostic').innerText(), /m\.dupont/);
  await screenshot(page, 'admin-1280');
  await page.getByLabel('Référence de la demande').fill('R-2222-2222');
  await page.getByRole('button', { name: 'Rechercher la demande' }).click();
  await page.getByText('Aucune demande ne porte la référence R-2222-2222').first().waitFor();
  assert.deepEqual(requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith('data:')), []);
  assert.ok(outbox(server).length > 0);
  await context.close();
});

test('direction: the audit log shows the staff actions; a locked account is unlocked', async () => {
  const attempt = (password) => fetch(`${server.url}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ identifier: 'l.dupont', password }),
  });
  let locked = false;
  for (let i = 0; i < 10 && !locked; i += 1) locked = (await attempt('pas-le-bon')).status === 423;
  assert.ok(locked, 'l.dupont is locked');
  const { context, page } = await new_page(browser, { width: 360, height: 800 });
  await staff_login(page, 'direction.test');
  await page.locator('#audit-zone').waitFor();
  await page.locator('#audit tr').first().waitFor();
  assert.match(await page.locator('#audit').innerText(), /secretariat\.test/);
  assert.deepEqual(await axe_violations(page), []);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
  await screenshot(page, 'admin-360');
  await page.getByLabel('Rechercher un compte').fill('l.dupont');
  await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
  await page.getByRole('button', { name: 'l.dupont' }).click();
  await page.getByRole('heading', { name: 'Compte l.dupont' }).waitFor();
  assert.match(await page.locator('#fiche').innerText(), /Bloqué/);
  await page.getByRole('button', { name: 'Déverrouiller le compte' }).click();
  await page.getByRole('heading', { name: 'Compte débloqué' }).waitFor();
  assert.equal((await attempt('Sesame-demo-2026!')).status, 200);
  await context.close();
});

test('a parent sent to /admin is told the console is for staff', async () => {
  const { context, page } = await new_page(browser);
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant', { exact: true }).fill('l.dupont');
  await page.getByLabel('Mot de passe', { exact: true }).fill('Sesame-demo-2026!');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${server.url}/mon-compte`);
  await page.goto(`${server.url}/admin`);
  await page.getByText('Cette console est réservée au personnel').waitFor();
  await context.close();
});
