// Recovery journeys against the real API and the file outbox: forgotten
// password by SMS code (m.dupont, with the resend cooldown and a wrong
// code), by the e-mail link (l.dupont), forgotten identifier (both
// profiles), and a parent's activation (k.benali, with a wrong birth date).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  axe_violations, new_page, outbox, screenshot, setup, six_digits, staff_api_session, start_server, wait_for_message,
} from './harness.mjs';

let server;
let browser;
setup((s, b) => {
  server = s;
  browser = b;
});

const foreign = (requests) => requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith('data:'));

async function login_status(identifier, password) {
  const r = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ identifier, password }),
  });
  return r.status;
}

// /activation up to the children's dates: k.benali's mobile typed as
// `phone`, the SMS code read from the outbox and validated.
async function activation_code_step(page, on, phone) {
  await page.goto(`${on.url}/activation`);
  await page.getByLabel('Numéro de téléphone portable').fill(phone);
  const before_count = outbox(on).length;
  await page.getByRole('button', { name: 'Recevoir un code' }).click();
  await page.getByLabel('Code reçu').waitFor();
  const sms = await wait_for_message(on, (m) => m.channel === 'sms' && m.to === '+33698765432', { after: before_count });
  await page.getByLabel('Code reçu').fill(six_digits(sms));
  await page.getByRole('button', { name: 'Valider le code' }).click();
}

async function choose_password(page, password) {
  await page.getByLabel('Nouveau mot de passe').fill(password);
  await page.getByLabel('Confirmer le mot de passe').fill(password);
  await page.getByRole('button', { name: 'Enregistrer' }).click();
}

test('forgotten password by SMS: reference and time, resend cooldown, wrong code, new password', async () => {
  const { context, page, requests } = await new_page(browser, { width: 360, height: 800 });
  await page.goto(`${server.url}/mot-de-passe-oublie`);
  await page.getByRole('button', { name: 'Recevoir un code' }).click();
  assert.match(await page.getByRole('alert').innerText(), /responsable légal ou élève/);
  await page.getByLabel('Responsable légal').check({ force: true });
  await page.getByLabel('Identifiant').fill('m.dupont');
  const before_count = outbox(server).length;
  await page.getByRole('button', { name: 'Recevoir un code' }).click();
  const code = page.getByLabel('Code reçu');
  await code.waitFor();
  assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await code.getAttribute('inputmode'), 'numeric');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H2');
  const reference = (await page.locator('.portal-reference').innerText()).trim();
  assert.match(reference, /^R-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);
  assert.match(await page.getByText('Demande faite').innerText(), /à \d\d h \d\d/);
  const sms = await wait_for_message(server, (m) => m.channel === 'sms' && m.to === '+33612345678' && m.reference === reference,
    { after: before_count });
  assert.deepEqual(await axe_violations(page), []);
  await screenshot(page, 'code-recu-360');

  // Resend at once: the cooldown, counted down.
  await page.getByRole('button', { name: 'Renvoyer le code' }).click();
  await page.getByText(/Vous pourrez demander un nouveau code dans \d+ secondes?/).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Renvoyer le code' }).getAttribute('aria-disabled'), 'true');

  const right = six_digits(sms);
  const wrong = String((Number(right) + 1) % 1000000).padStart(6, '0');
  await code.fill(wrong);
  await page.getByRole('button', { name: 'Valider le code' }).click();
  await page.getByText('Il vous reste 4 essais').first().waitFor();
  assert.equal(await code.getAttribute('aria-invalid'), 'true');

  await code.fill(right);
  await page.getByRole('button', { name: 'Valider le code' }).click();
  await page.getByLabel('Nouveau mot de passe').waitFor();
  await choose_password(page, 'Le lundi matin, cantine et piscine');
  await page.getByRole('heading', { name: 'Votre mot de passe est changé' }).waitFor();
  assert.equal(await login_status('m.dupont', 'Le lundi matin, cantine et piscine'), 200);
  assert.deepEqual(foreign(requests), []);
  await context.close();
});

test('forgotten password by the e-mail link: verified from the fragment, then the new password', async () => {
  const { context, page } = await new_page(browser);
  await page.goto(`${server.url}/mot-de-passe-oublie`);
  await page.getByLabel('Élève').check({ force: true });
  await page.getByLabel('Identifiant').fill('l.dupont');
  const before_count = outbox(server).length;
  await page.getByRole('button', { name: 'Recevoir un code' }).click();
  await page.getByText('Vérifiez votre messagerie').waitFor();
  const mail = await wait_for_message(server, (m) => m.channel === 'email' && m.to === 'lucas.dupont@example.fr',
    { after: before_count });
  const link = mail.text.match(/https?:\/\/\S+\/reinitialisation#flow=[^\s&]+&token=\S+/)[0];
  const { page: other, context: other_context } = await new_page(browser, { width: 360, height: 800 });
  await other.goto(`${server.url}${new URL(link).pathname}${new URL(link).hash}`);
  await other.getByLabel('Nouveau mot de passe').waitFor();
  assert.equal(new URL(other.url()).hash, '', 'the token leaves the address bar');
  await choose_password(other, 'Ma trousse verte et deux stylos');
  await other.getByRole('heading', { name: 'Votre mot de passe est changé' }).waitFor();
  assert.equal(await login_status('l.dupont', 'Ma trousse verte et deux stylos'), 200);
  // The same link again: used, said so.
  await other.goto(`${server.url}${new URL(link).pathname}${new URL(link).hash}`);
  await other.getByRole('heading', { name: "Cette demande n'est plus valable" }).waitFor();
  assert.ok((await other.getByRole('alert').innerText()).length > 20);
  await other_context.close();
  await context.close();
});

test('forgotten identifier: by SMS for a parent, by e-mail for a pupil, with the reference', async () => {
  const { context, page } = await new_page(browser);
  await page.goto(`${server.url}/identifiant-oublie`);
  await page.getByLabel('Responsable légal').check({ force: true });
  await page.getByLabel('Numéro de téléphone portable').fill('06 12 34 56 78');
  const before_count = outbox(server).length;
  await page.getByRole('button', { name: 'Recevoir mon identifiant' }).click();
  await page.getByText('Vérifiez vos SMS').waitFor();
  const reference = (await page.locator('.portal-reference').innerText()).trim();
  assert.match(reference, /^R-\w{4}-\w{4}$/);
  const sms = await wait_for_message(server, (m) => m.channel === 'sms' && m.to === '+33612345678', { after: before_count });
  assert.match(sms.text, /m\.dupont/);

  await page.goto(`${server.url}/identifiant-oublie`);
  await page.getByLabel('Élève').check({ force: true });
  assert.equal(await page.getByLabel('Numéro de téléphone portable').isVisible(), false);
  await page.getByLabel('Adresse électronique').fill('lucas.dupont@example.fr');
  await page.getByRole('button', { name: 'Recevoir mon identifiant' }).click();
  await page.getByText('Vérifiez votre messagerie').waitFor();
  const mail = await wait_for_message(server, (m) => m.channel === 'email' && m.to === 'lucas.dupont@example.fr' && /l\.dupont/.test(m.text),
    { after: before_count });
  assert.ok(mail);
  await context.close();
});

test('parent activation: phone, SMS code, a wrong then the right birth date, new password, identifier shown', async () => {
  const { context, page, requests } = await new_page(browser, { width: 360, height: 800 });
  await activation_code_step(page, server, '06 98 76 54 32');
  const date = page.getByLabel("Date de naissance de l'enfant 1");
  await date.waitFor();
  assert.equal(await date.getAttribute('type'), 'date');
  assert.equal(await page.getByLabel("Date de naissance de l'enfant 2").count(), 0);
  assert.deepEqual(await axe_violations(page), []);
  await date.fill('2014-09-03');
  await page.getByLabel('Nouveau mot de passe').fill('Trois pommes et un cahier rouge');
  await page.getByLabel('Confirmer le mot de passe').fill('Trois pommes et un cahier rouge');
  await page.getByRole('button', { name: 'Activer mon compte' }).click();
  await page.getByText(/il vous reste 2 essais/).first().waitFor();
  await date.fill('2014-09-02');
  await page.getByRole('button', { name: 'Activer mon compte' }).click();
  await page.getByRole('heading', { name: 'Votre compte est activé' }).waitFor();
  assert.equal((await page.locator('#identifiant-attribue').innerText()).trim(), 'k.benali');
  await screenshot(page, 'activation-terminee-360');
  await page.getByRole('link', { name: 'Aller à mon compte' }).click();
  await page.waitForURL(`${server.url}/mon-compte`);
  await page.getByText('Karim Benali').waitFor();
  assert.deepEqual(foreign(requests), []);
  await context.close();
});

test('parent activation when two parents share the phone and the child: the first name settles it', async (t) => {
  // A server of its own (k.benali not yet activated), where the school
  // office records a second parent with his mobile and child.
  const server = await start_server({ staff: [{ login: 'secretariat.test', role: 'secretariat', scope: '0751234A' }] });
  t.after(() => server.stop());
  const cookie = await staff_api_session(server, 'secretariat.test');
  const created = await fetch(`${server.url}/api/v1/admin/accounts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie },
    body: JSON.stringify({
      profile: 'parent', external_id: 'DEMO-P3', last_name: 'Benali', first_name: 'Samia', establishment: '0751234A',
      phone: '06 98 76 54 32', children: ['DEMO-E2'],
    }),
  });
  assert.equal(created.status, 201);
  const { context, page } = await new_page(browser);
  await activation_code_step(page, server, '+33 6 98 76 54 32');
  await page.getByLabel("Date de naissance de l'enfant 1").fill('2014-09-02');
  await page.getByLabel('Nouveau mot de passe').fill('Deux cahiers et une gomme rose');
  await page.getByLabel('Confirmer le mot de passe').fill('Deux cahiers et une gomme rose');
  await page.getByRole('button', { name: 'Activer mon compte' }).click();
  const first_name = page.getByLabel('Votre prénom');
  await first_name.waitFor();
  assert.match(await page.getByRole('alert').innerText(), /Indiquez votre prénom/);
  await first_name.fill('samia');
  await page.getByRole('button', { name: 'Activer mon compte' }).click();
  await page.getByRole('heading', { name: 'Votre compte est activé' }).waitFor();
  assert.match((await page.locator('#identifiant-attribue').innerText()).trim(), /^s\.benali\d*$/);
  await context.close();
});
