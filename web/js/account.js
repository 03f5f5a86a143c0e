// The account page: identity, masked contacts, password and e-mail
// changes, connected devices, the services signed in to, the activity
// journal, logout. Without a
// session: to the login page, which comes back here.
import {
  api, clear_errors, fill, logout, message_of, notice, on_submit, password_pair_errors, show_errors, show_weak_password,
  when, wire_password_toggles,
} from './common.js';
import { describe_browser, event_label, staff_actor } from './activity.js';

const page = document.getElementById('compte');
const loading = document.getElementById('chargement');
const profiles = { parent: 'Responsable légal', eleve: 'Élève' };

function to_login() {
  location.assign(`/?retour=${encodeURIComponent(location.pathname)}`);
}

// A failed read: to the login page when the session is gone, else a message.
function read_failed(r, where) {
  if (r.status === 401) return to_login();
  where.replaceChildren();
  notice(where, 'error', 'Impossible d\'afficher cette partie', message_of(r.data));
}

async function show_me() {
  const r = await api('GET', '/api/v1/me');
  if (!r.ok) {
    if (r.status === 401) return to_login();
    loading.textContent = message_of(r.data);
    return null;
  }
  const me = r.data;
  if (me.profile === 'staff') {
    location.assign('/admin');
    return null;
  }
  fill(page, {
    identifier: me.identifier,
    name: `${me.first_name} ${me.last_name}`,
    profile: profiles[me.profile] || me.profile,
    establishment: me.establishment || '—',
    phone: me.phone_masked || 'Aucun numéro',
    email: me.email || 'Aucune adresse',
    email_state: me.email ? (me.email_validated ? '(confirmée)' : '(en attente de confirmation : ouvrez le lien reçu)') : '',
  });
  return me;
}

// ---- devices -------------------------------------------------------------

const devices = document.getElementById('appareils');
const devices_zone = document.getElementById('appareils-zone');

async function show_sessions() {
  const r = await api('GET', '/api/v1/me/sessions');
  if (!r.ok) return read_failed(r, devices);
  const tpl = document.getElementById('appareil');
  const items = r.data.sessions.map((s) => {
    const li = tpl.content.firstElementChild.cloneNode(true);
    fill(li, { device: describe_browser(s.user_agent), created: when(s.created_at), seen: when(s.last_seen_at), ip: s.ip || '—' });
    const button = li.querySelector('[data-slot-button]');
    if (s.current) {
      li.classList.add('portal-current');
      li.querySelector('[data-slot=badge]').hidden = false;
      button.remove();
    } else {
      button.addEventListener('click', async () => {
        const d = await api('DELETE', `/api/v1/me/sessions/${encodeURIComponent(s.id)}`);
        if (!d.ok && d.status !== 404) return read_failed(d, devices);
        await show_sessions();
        notice(devices_zone, 'success', 'Appareil déconnecté', `${describe_browser(s.user_agent)} devra se reconnecter avec le mot de passe.`).focus();
      });
    }
    return li;
  });
  // The current device first.
  items.sort((a, b) => Number(b.classList.contains('portal-current')) - Number(a.classList.contains('portal-current')));
  clear_errors(devices_zone);
  devices.replaceChildren(...items);
}

document.getElementById('deconnecter-autres').addEventListener('click', async () => {
  const others = devices.querySelectorAll('li:not(.portal-current)').length;
  const r = await api('DELETE', '/api/v1/me/sessions');
  if (!r.ok) return read_failed(r, devices);
  await show_sessions();
  const box = notice(devices_zone, 'success', others ? 'Autres appareils déconnectés' : 'Aucun autre appareil',
    others ? 'Seul cet appareil reste connecté.' : "Aucun autre appareil n'était connecté.");
  box.focus();
});

// ---- services (single sign-on) ----------------------------------------------

const services = document.getElementById('services');

async function show_services() {
  const r = await api('GET', '/api/v1/me/services');
  if (!r.ok) return read_failed(r, services);
  if (!r.data.services.length) {
    const li = document.createElement('li');
    li.textContent = 'Aucun service ne vous a encore demandé de vous identifier avec ce compte.';
    services.replaceChildren(li);
    return;
  }
  const tpl = document.getElementById('service');
  services.replaceChildren(...r.data.services.map((s) => {
    const li = tpl.content.firstElementChild.cloneNode(true);
    fill(li, { name: s.name, last: when(s.last_signed_in_at) });
    li.querySelector('[data-slot=badge]').hidden = !s.active;
    return li;
  }));
}

// ---- journal ---------------------------------------------------------------

const journal = document.getElementById('journal');
const more = document.getElementById('journal-suite');
let cursor = null;

async function show_activity(append) {
  const q = new URLSearchParams({ limit: '10' });
  if (append && cursor) q.set('before', cursor);
  const r = await api('GET', `/api/v1/me/activity?${q}`);
  if (!r.ok) return read_failed(r, journal);
  const tpl = document.getElementById('evenement');
  const items = r.data.events.map((e) => {
    const li = tpl.content.firstElementChild.cloneNode(true);
    const by = staff_actor(e.actor) ? ` (par l'établissement : ${staff_actor(e.actor)})` : '';
    fill(li, {
      what: event_label(e.type) + by,
      when: when(e.at),
      where: [e.ip ? ` · adresse IP ${e.ip}` : '', e.user_agent ? ` · ${describe_browser(e.user_agent)}` : ''].join(''),
    });
    return li;
  });
  if (!append) journal.replaceChildren();
  if (!items.length && !append) {
    const li = document.createElement('li');
    li.textContent = 'Aucun événement pour le moment.';
    items.push(li);
  }
  const first_new = items[0];
  journal.append(...items);
  cursor = r.data.next || null;
  more.hidden = !cursor;
  if (append && first_new) {
    first_new.tabIndex = -1;
    first_new.focus();
  }
}
more.addEventListener('click', () => show_activity(true));

// ---- forms -----------------------------------------------------------------

const pw = document.getElementById('mot-de-passe');
wire_password_toggles(pw);
on_submit(pw, async () => {
  const current = pw.elements.current_password;
  if (!current.value) return show_errors(pw, [{ field: current, message: 'Saisissez votre mot de passe actuel.' }]);
  const errors = password_pair_errors(pw);
  if (errors.length) return show_errors(pw, errors);
  const r = await api('POST', '/api/v1/me/password', { current_password: current.value, new_password: pw.elements.new_password.value });
  if (r.ok) {
    pw.reset();
    clear_errors(pw);
    const box = notice(pw, 'success', 'Mot de passe changé', 'Utilisez-le dès votre prochaine connexion. Vos autres appareils ont été déconnectés.');
    box.focus();
    show_sessions();
    show_activity(false);
    return;
  }
  if (r.data.error === 'invalid_credentials') {
    return show_errors(pw, [{ field: current, message: "Le mot de passe actuel n'est pas le bon. Vérifiez-le (majuscules comprises)." }]);
  }
  if (r.status === 422) return show_weak_password(pw, r.data);
  if (r.status === 401) return to_login();
  show_errors(pw, [{ message: message_of(r.data) }]);
});

const mail = document.getElementById('courriel');
on_submit(mail, async () => {
  const input = mail.elements.email;
  const value = input.value.trim();
  if (!value) return show_errors(mail, [{ field: input, message: 'Saisissez votre adresse électronique.' }]);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
    return show_errors(mail, [{ field: input, message: "Cette adresse n'est pas valide. Saisissez-la comme prenom.nom@exemple.fr." }]);
  }
  const r = await api('POST', '/api/v1/me/email', { email: value });
  if (r.ok) {
    mail.reset();
    clear_errors(mail);
    const box = notice(mail, 'success', 'Vérifiez votre messagerie',
      `Un lien de confirmation vient d'être envoyé à ${value}. Ouvrez-le pour valider l'adresse (pensez aux courriels indésirables).`);
    box.focus();
    show_me();
    show_activity(false);
    return;
  }
  if (r.status === 401) return to_login();
  show_errors(mail, [{ field: r.data.error === 'invalid_request' ? input : undefined, message: r.data.error === 'invalid_request' ? "Cette adresse n'est pas valide. Vérifiez-la." : message_of(r.data) }]);
});

document.getElementById('deconnexion').addEventListener('click', logout);

// ---- start -------------------------------------------------------------------

async function start() {
  const me = await show_me();
  if (!me) return;
  loading.remove();
  page.hidden = false;
  if (me.must_change_password) {
    notice(pw, 'warning', 'Choisissez un nouveau mot de passe', 'Votre mot de passe est provisoire : remplacez-le avant de continuer.');
    pw.elements.current_password.focus();
    return;
  }
  await Promise.all([show_sessions(), show_services(), show_activity(false)]);
}
start();
