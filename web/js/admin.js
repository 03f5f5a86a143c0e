// The staff console over the staff routes: account search with paging, the
// account record with its flows and every delivery attempt, phone and
// e-mail changes, unlock, a new activation code (shown once), the lookup of
// a request reference, and the audit log for the roles that may read it.
// The server checks every right; the page only hides what the role cannot do.
import { api, clear_errors, fill, logout, message_of, notice, on_submit, show_errors, when } from './common.js';
import { describe_browser, event_label, staff_actor } from './activity.js';

const $ = (id) => document.getElementById(id);
const roles = {
  secretariat: 'Secrétariat de scolarité', vie_scolaire: 'Vie scolaire', direction: 'Direction',
  support: 'Support académique', admin: 'Administration',
};
const profiles = { parent: 'Responsable légal', eleve: 'Élève', staff: 'Personnel' };
const statuses = { pending: 'Non activé', active: 'Actif', locked: 'Bloqué' };
const kinds = {
  password_reset: 'Mot de passe oublié', identifier_reminder: 'Identifiant oublié', activation: 'Activation',
  email_confirmation: "Confirmation d'adresse",
};
const states = { open: 'En cours', verified: 'Code validé', used: 'Utilisée', expired: 'Expirée', closed: 'Fermée' };
const message_states = {
  pending: 'En attente d\'envoi', sent: 'Remis à la passerelle', delivered: 'Distribué', failed: 'Échec',
  expired: 'Non envoyé : code expiré', abandoned: 'Abandonné après plusieurs essais', refused: 'Refusé (limite d\'envoi)',
};
const results = {
  accepted: 'Accepté', temporary_failure: 'Échec temporaire', permanent_failure: 'Échec définitif',
  delivery_report: 'Accusé de réception',
};
const channels = { sms: 'SMS', email: 'Courriel' };
const actions = {
  'account.read': 'Lecture d\'un compte', 'account.search': 'Recherche', 'account.create': 'Création de compte',
  'account.import': 'Import', 'account.update': 'Modification', 'account.unlock': 'Déblocage',
  'account.activation_code': 'Code d\'activation', 'account.activity': 'Lecture du journal', 'reference.read': 'Lecture d\'une demande',
  'staff.create': 'Ajout d\'un membre du personnel', 'staff.list': 'Liste du personnel', 'staff.delete': 'Retrait d\'un membre du personnel',
  'session.login': 'Connexion', 'session.login_failed': 'Connexion manquée',
};
const rights = {
  phone: ['secretariat', 'direction', 'admin'],
  email: ['vie_scolaire', 'direction', 'admin'],
  audit: ['direction', 'support', 'admin'],
};

let me = null;
let current = null;  // identifier of the open record

// ---- small DOM builders --------------------------------------------------------

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}
const text_or_dash = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));

function dl_rows(dl, pairs) {
  dl.replaceChildren();
  for (const [k, v] of pairs) dl.append(el('dt', { textContent: k }), el('dd', { textContent: text_or_dash(v) }));
}

function table(caption, heads, rows) {
  const thead = el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col', textContent: h }))));
  const tbody = el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c instanceof Node ? c : text_or_dash(c))))));
  // A box that scrolls on a phone: focusable, so the keyboard can scroll it.
  const box = el('div', { className: 'portal-scroll', tabIndex: 0 },
    el('table', {}, el('caption', { className: 'fr-sr-only', textContent: caption }), thead, tbody));
  box.setAttribute('role', 'region');
  box.setAttribute('aria-label', caption);
  return box;
}

function failed(where, r) {
  if (r.status === 401) return location.assign(`/?retour=${encodeURIComponent('/admin')}`);
  const messages = {
    not_found: "Introuvable dans votre périmètre : vérifiez la saisie, ou l'établissement de la personne.",
    forbidden: "Votre rôle ne permet pas cette action. Demandez à la direction de l'établissement.",
  };
  const box = notice(where, 'error', 'Action impossible', messages[r.data.error] || message_of(r.data));
  box.focus();
  return box;
}

// ---- flows and their deliveries --------------------------------------------------

function render_flow(f) {
  const head = `${kinds[f.kind] || f.kind} — ${when(f.created_at)}`;
  const dl = el('dl', { className: 'portal-dl' });
  const pairs = [
    ['Référence', f.reference],
    ['État', states[f.state] || f.state],
    ['Ce qui s\'est passé', f.detail || f.outcome],
    ['Canal', channels[f.channel] || f.channel],
    ['Destination', f.destination],
    ['Codes faux saisis', f.failed_attempts],
    ['Demandé depuis', [f.ip, f.user_agent ? describe_browser(f.user_agent) : ''].filter(Boolean).join(' · ')],
  ];
  if ('asked' in f) pairs.splice(1, 0, ['Saisi par la personne', f.asked]);
  if ('identifier' in f) pairs.splice(1, 0, ['Compte', f.identifier || 'Aucun compte ne correspond']);
  dl_rows(dl, pairs);
  const messages = f.messages || [];
  const msg = messages.length
    ? table(`Messages de la demande ${f.reference}`, ['Message', 'Canal', 'Destination', 'État', 'Tentatives'], messages.map((m) => [
      m.purpose || m.message_id, channels[m.channel] || m.channel, m.destination, message_states[m.status] || m.status,
      el('ul', { className: 'fr-mb-0' }, ...(m.attempts || []).map((a) => el('li', {
        textContent: `${when(a.at)} : ${results[a.result] || a.result}${a.detail ? ` (${a.detail})` : ''}`,
      }))),
    ]))
    : el('p', { className: 'portal-meta', textContent: 'Aucun message envoyé pour cette demande.' });
  return el('li', {}, el('h4', { className: 'fr-h6', textContent: head }), dl, msg);
}

// ---- the account record --------------------------------------------------------

function render_record(a) {
  fill($('fiche-zone'), { identifier: a.identifier });
  const lock = a.hard_locked ? 'Bloqué : seul le personnel peut le débloquer'
    : a.locked_until && new Date(a.locked_until) > new Date() ? `Bloqué jusqu'à ${when(a.locked_until)}` : 'Non';
  dl_rows($('fiche'), [
    ['Nom et prénom', `${a.last_name} ${a.first_name}`],
    ['Profil', profiles[a.profile] || a.profile],
    ['État', statuses[a.status] || a.status],
    ['Établissement', `${a.establishment}${a.academie ? ` (académie de ${a.academie})` : ''}`],
    ['Classe', a.class],
    ['Date de naissance', a.birth_date],
    ['Identifiant de l\'établissement', a.external_id],
    ['Enfants', (a.children || []).join(', ')],
    ['Téléphone portable', a.phone],
    ['Adresse électronique', a.email ? `${a.email} (${a.email_validated ? 'confirmée' : 'non confirmée'})` : null],
    ['Adresse en attente de confirmation', a.pending_email],
    ['Mot de passe à changer', a.must_change_password ? 'Oui' : 'Non'],
    ['Essais de connexion manqués', a.failed_logins],
    ['Blocage', lock],
    ['Créé', when(a.created_at)],
    ['Mot de passe changé', a.password_changed_at ? when(a.password_changed_at) : null],
    ['Dernière connexion', a.last_login_at ? when(a.last_login_at) : null],
  ]);
  $('phone').value = a.phone || '';
  $('email').value = a.pending_email || a.email || '';
  const flows = a.flows || [];
  $('fiche-demandes').replaceChildren(flows.length
    ? el('ul', { className: 'portal-list' }, ...flows.map(render_flow))
    : el('p', { textContent: 'Aucune demande récente.' }));
  const can_code = ['direction', 'admin'].includes(me.role)
    || (me.role === 'secretariat' && a.profile === 'parent') || (me.role === 'vie_scolaire' && a.profile === 'eleve');
  document.querySelector('[data-role=activation-code]').hidden = !can_code;
}

let journal_cursor = null;
async function show_account_activity(append) {
  const q = new URLSearchParams({ limit: '10' });
  if (append && journal_cursor) q.set('before', journal_cursor);
  const r = await api('GET', `/api/v1/admin/accounts/${encodeURIComponent(current)}/activity?${q}`);
  const list = $('fiche-journal');
  if (!r.ok) return failed($('fiche-messages'), r);
  if (!append) list.replaceChildren();
  for (const e of r.data.events) {
    list.append(el('li', {},
      el('strong', { textContent: event_label(e.type) + (staff_actor(e.actor) ? ` (par ${staff_actor(e.actor)})` : '') }),
      el('p', { className: 'portal-meta fr-mb-0', textContent: [when(e.at), e.ip, e.user_agent ? describe_browser(e.user_agent) : '', e.detail].filter(Boolean).join(' · ') })));
  }
  if (!list.children.length) list.append(el('li', { textContent: 'Aucun événement.' }));
  journal_cursor = r.data.next || null;
  $('fiche-journal-suite').hidden = !journal_cursor;
}
$('fiche-journal-suite').addEventListener('click', () => show_account_activity(true));

async function open_account(identifier) {
  const zone = $('fiche-zone');
  $('fiche-messages').replaceChildren();
  $('code-affiche').replaceChildren();
  const r = await api('GET', `/api/v1/admin/accounts/${encodeURIComponent(identifier)}`);
  zone.hidden = false;
  if (!r.ok) {
    fill(zone, { identifier });
    return failed($('fiche-messages'), r);
  }
  current = r.data.identifier;
  render_record(r.data);
  for (const f of [$('telephone'), $('adresse')]) clear_errors(f);
  $('fiche-titre').focus();
  await show_account_activity(false);
}

// ---- search --------------------------------------------------------------------

let search_q = '';
let search_cursor = null;

async function search(append) {
  const q = new URLSearchParams({ q: search_q, limit: '20' });
  if (append && search_cursor) q.set('cursor', search_cursor);
  const r = await api('GET', `/api/v1/admin/accounts?${q}`);
  const form = $('recherche');
  if (!r.ok) return failed(form, r);
  clear_errors(form);
  const body = $('resultats');
  if (!append) body.replaceChildren();
  for (const a of r.data.accounts) {
    const open = el('button', { type: 'button', className: 'fr-btn fr-btn--sm fr-btn--tertiary', textContent: a.identifier });
    open.addEventListener('click', () => open_account(a.identifier));
    body.append(el('tr', {}, el('td', {}, open),
      ...[`${a.last_name} ${a.first_name}`, profiles[a.profile] || a.profile, a.establishment, a.class, statuses[a.status] || a.status]
        .map((c) => el('td', { textContent: text_or_dash(c) }))));
  }
  $('resultats-zone').hidden = false;
  $('resultats-vide').hidden = body.children.length > 0;
  search_cursor = r.data.next || null;
  $('resultats-suite').hidden = !search_cursor;
  if (!append) $('resultats-titre').focus();
}

on_submit($('recherche'), async () => {
  const input = $('q');
  search_q = input.value.trim();
  if (!search_q) return show_errors($('recherche'), [{ field: input, message: 'Saisissez un identifiant, un nom, un numéro ou une adresse.' }]);
  await search(false);
});
$('resultats-suite').addEventListener('click', () => search(true));

// ---- reference lookup ------------------------------------------------------------

on_submit($('demande'), async () => {
  const form = $('demande');
  const input = $('reference');
  const raw = input.value.trim().toUpperCase().replace(/\s+/g, '');
  if (!raw) return show_errors(form, [{ field: input, message: 'Saisissez la référence que la personne a vue, par exemple R-7K3F-92QX.' }]);
  const ref = /^R?-?([0-9A-Z]{4})-?([0-9A-Z]{4})$/.test(raw) ? raw.replace(/^R?-?([0-9A-Z]{4})-?([0-9A-Z]{4})$/, 'R-$1-$2') : raw;
  const r = await api('GET', `/api/v1/admin/references/${encodeURIComponent(ref)}`);
  const zone = $('diagnostic-zone');
  if (!r.ok) {
    if (r.data.error === 'not_found') {
      return show_errors(form, [{ field: input, message: `Aucune demande ne porte la référence ${ref} dans votre périmètre. Vérifiez-la avec la personne (elle ne contient ni 0, ni 1, ni I, ni O).` }]);
    }
    return failed(form, r);
  }
  clear_errors(form);
  fill(zone, { reference: r.data.reference });
  const holder = $('diagnostic');
  holder.replaceChildren(el('ul', { className: 'portal-list' }, render_flow(r.data)));
  if (r.data.identifier) {
    const open = el('button', { type: 'button', className: 'fr-btn fr-btn--secondary', textContent: `Ouvrir le compte ${r.data.identifier}` });
    open.addEventListener('click', () => open_account(r.data.identifier));
    holder.append(open);
  }
  zone.hidden = false;
  $('diagnostic-titre').focus();
});

// ---- actions on the record -------------------------------------------------------

async function patch(form, field, value) {
  const r = await api('PATCH', `/api/v1/admin/accounts/${encodeURIComponent(current)}`, { [field]: value });
  if (r.ok) {
    render_record(r.data);
    clear_errors(form);
    const text = field === 'phone'
      ? (value ? 'Le nouveau numéro sert dès maintenant ; l\'ancien a été prévenu. Les codes envoyés avant ne fonctionnent plus.' : 'Le numéro est retiré.')
      : (value ? 'Un lien de confirmation est parti vers la nouvelle adresse : elle servira une fois confirmée.' : 'L\'adresse est retirée.');
    notice(form, 'success', 'Enregistré', text).focus();
    return;
  }
  if (r.data.error === 'invalid_request') {
    const input = form.elements[field];
    return show_errors(form, [{
      field: input,
      message: field === 'phone' ? "Ce numéro n'est pas un portable français (06 ou 07, ou +33 6, +33 7)." : "Cette adresse électronique n'est pas valide.",
    }]);
  }
  failed(form, r);
}
on_submit($('telephone'), () => patch($('telephone'), 'phone', $('phone').value.trim() || null));
on_submit($('adresse'), () => patch($('adresse'), 'email', $('email').value.trim() || null));

$('debloquer').addEventListener('click', async () => {
  const r = await api('POST', `/api/v1/admin/accounts/${encodeURIComponent(current)}/unlock`);
  const where = $('fiche-messages');
  where.replaceChildren();
  if (!r.ok) return failed(where, r);
  const again = await api('GET', `/api/v1/admin/accounts/${encodeURIComponent(current)}`);
  if (again.ok) render_record(again.data);
  notice(where, 'success', 'Compte débloqué', 'La personne peut se connecter à nouveau ; ses essais manqués sont remis à zéro.').focus();
});

$('code-activation').addEventListener('click', async () => {
  const out = $('code-affiche');
  out.replaceChildren();
  const r = await api('POST', `/api/v1/admin/accounts/${encodeURIComponent(current)}/activation-code`);
  if (!r.ok) return failed(out, r);
  const box = el('div', { className: 'fr-alert fr-alert--success', tabIndex: -1 },
    el('h4', { className: 'fr-alert__title', textContent: `Code d'activation de ${current}` }),
    el('p', { className: 'portal-secret', id: 'code-genere', textContent: r.data.activation_code }),
    el('p', { textContent: "Remettez-le à la personne : il remplace son mot de passe pour une seule connexion, puis elle en choisira un nouveau. Il ne s'affichera plus." }));
  box.setAttribute('role', 'status');
  out.append(box);
  box.focus();
});

// ---- audit log ---------------------------------------------------------------------

let audit_cursor = null;
async function show_audit(append) {
  const q = new URLSearchParams({ limit: '20' });
  if (append && audit_cursor) q.set('before', audit_cursor);
  const r = await api('GET', `/api/v1/admin/audit?${q}`);
  const zone = $('audit-zone');
  if (!r.ok) {
    if (r.status === 403) return;  // not for this role after all
    zone.hidden = false;
    return failed(zone, r);
  }
  zone.hidden = false;
  const body = $('audit');
  if (!append) body.replaceChildren();
  for (const e of r.data.events || []) {
    body.append(el('tr', {}, ...[when(e.at), `${e.actor}${e.role ? ` (${roles[e.role] || e.role})` : ''}`, actions[e.action] || e.action, e.target, [e.detail, e.ip].filter(Boolean).join(' · ')]
      .map((c) => el('td', { textContent: text_or_dash(c) }))));
  }
  if (!body.children.length) body.append(el('tr', {}, el('td', { colSpan: 5, textContent: 'Aucune action enregistrée.' })));
  audit_cursor = r.data.next || null;
  $('audit-suite').hidden = !audit_cursor;
}
$('audit-suite').addEventListener('click', () => show_audit(true));

// ---- start -------------------------------------------------------------------------

$('deconnexion').addEventListener('click', logout);

async function start() {
  const r = await api('GET', '/api/v1/me');
  if (!r.ok) {
    if (r.status === 401) return location.assign(`/?retour=${encodeURIComponent('/admin')}`);
    $('chargement').textContent = message_of(r.data);
    return;
  }
  $('chargement').remove();
  me = r.data;
  if (me.profile !== 'staff') {
    $('refus').hidden = false;
    return;
  }
  if (me.must_change_password) {
    return location.assign(`/?retour=${encodeURIComponent('/admin')}`);
  }
  const scope = me.scope || [];
  fill($('console'), {
    login: me.identifier,
    role: roles[me.role] || me.role,
    scope: scope.length ? ` (${scope.join(', ')})` : '',
  });
  $('telephone').hidden = !rights.phone.includes(me.role);
  $('adresse').hidden = !rights.email.includes(me.role);
  $('console').hidden = false;
  if (rights.audit.includes(me.role)) await show_audit(false);
}
start();
