// Shared by every page's module: calls to the JSON API, errors shown the
// DSFR / GOV.UK way (a summary with links at the top of the form, the
// message next to each field), focus moved after each step, one question
// per step (templates swapped in), password show/hide, WebOTP, countdowns,
// French dates. No dependency.

// ---- the JSON API --------------------------------------------------------

const network_error = {
  error: 'network',
  message: 'Le service ne répond pas. Vérifiez votre connexion à Internet, puis réessayez.',
};

// Resolves to {ok, status, data}; never throws (a network failure is status 0).
export async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, data: network_error };
  }
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok && (!data || !data.message)) {
    data = { error: 'unexpected', message: 'Le service a rencontré un problème. Réessayez dans quelques instants.' };
  }
  return { ok: res.ok, status: res.status, data: data || {} };
}

// Our wording for the answers a person meets most; the server's French
// message otherwise.
const messages = {
  rate_limited: (d) => `Trop de demandes en peu de temps. Réessayez ${wait_text(d.retry_after)}.`,
  overloaded: (d) => `Le service est très sollicité en ce moment. Réessayez ${wait_text(d.retry_after)}.`,
  flow_expired: () => 'Le délai de 30 minutes est dépassé : ce code ne fonctionne plus. Faites une nouvelle demande.',
  flow_closed: () => "Cette demande n'est plus valable (code déjà utilisé, trop d'essais, ou une demande plus récente l'a remplacée). Faites une nouvelle demande.",
  token_expired: () => 'Ce lien a expiré ou a déjà servi. Faites une nouvelle demande.',
  unauthenticated: () => 'Votre session a pris fin. Reconnectez-vous.',
  password_change_required: () => "Choisissez d'abord un nouveau mot de passe.",
};

export function message_of(data) {
  const f = messages[data && data.error];
  return f ? f(data) : (data && data.message) || network_error.message;
}

export function wait_text(seconds) {
  const s = Math.max(1, Math.round(Number(seconds) || 1));
  if (s < 60) return `dans ${s} seconde${s > 1 ? 's' : ''}`;
  const m = Math.ceil(s / 60);
  return `dans ${m} minute${m > 1 ? 's' : ''}`;
}

// ---- errors ----------------------------------------------------------------

let error_seq = 0;

export function clear_errors(root) {
  for (const el of root.querySelectorAll('[data-portal-error]')) el.remove();
  for (const el of root.querySelectorAll('.fr-input-group--error')) el.classList.remove('fr-input-group--error');
  for (const el of root.querySelectorAll('.fr-fieldset--error')) el.classList.remove('fr-fieldset--error');
  for (const el of root.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => !id.startsWith('err-'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  }
}

// The message (and its list, if any) under a field, tied to it.
function mark_field(field, message, list) {
  const id = `err-${++error_seq}`;
  const p = document.createElement(list && list.length ? 'div' : 'p');
  p.className = 'fr-error-text';
  p.id = id;
  p.dataset.portalError = '';
  if (list && list.length) {
    const sentence = document.createElement('span');
    sentence.textContent = message;
    p.append(sentence, bullets(list));
  } else {
    p.textContent = message;
  }
  if (field.tagName === 'FIELDSET') {
    field.classList.add('fr-fieldset--error');
    field.append(p);
    for (const input of field.querySelectorAll('input')) input.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-describedby', id);
    return field.querySelector('input');
  }
  const group = field.closest('.fr-input-group, .fr-password, .fr-select-group');
  if (group) group.classList.add('fr-input-group--error');
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', [field.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
  (field.closest('.fr-input-wrap') || field).after(p);
  return field;
}

function bullets(items) {
  const ul = document.createElement('ul');
  for (const item of items) {
    const li = document.createElement('li');
    li.textContent = item;
    ul.append(li);
  }
  return ul;
}

// errors: [{field?: element, message, list?: [string]}]. Puts a summary at
// the top of `form` (role="alert", focused) linking to each field in error,
// and the message under each field.
export function show_errors(form, errors) {
  clear_errors(form);
  const summary = document.createElement('div');
  summary.className = 'fr-alert fr-alert--error fr-mb-3w portal-summary';
  summary.setAttribute('role', 'alert');
  summary.tabIndex = -1;
  summary.dataset.portalError = '';
  // An h2, as GOV.UK's summary: it heads the form's problems, above its question.
  const title = document.createElement('h2');
  title.className = 'fr-alert__title fr-h5';
  title.textContent = errors.length > 1 ? 'Il y a des erreurs' : 'Il y a un problème';
  const ul = document.createElement('ul');
  for (const e of errors) {
    const li = document.createElement('li');
    if (e.field) {
      const target = mark_field(e.field, e.message, e.list);
      const a = document.createElement('a');
      a.href = `#${target.id}`;
      a.textContent = e.message;
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        target.focus();
      });
      li.append(a);
    } else {
      li.textContent = e.message;
    }
    if (e.list && e.list.length) li.append(bullets(e.list));
    ul.append(li);
  }
  summary.append(title, ul);
  form.prepend(summary);
  summary.focus();
}

// One error from an API answer, on `field` when given.
export function show_api_error(form, data, field) {
  show_errors(form, [{ field, message: message_of(data), list: data.reasons }]);
}

// A notice (kind: success, info, warning, error) at the start of `root`.
export function notice(root, kind, title, text) {
  const box = document.createElement('div');
  box.className = `fr-alert fr-alert--${kind} fr-mb-3w`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.dataset.portalError = '';
  box.tabIndex = -1;
  const h = document.createElement('h3');
  h.className = 'fr-alert__title';
  h.textContent = title;
  box.append(h);
  if (text) {
    const p = document.createElement('p');
    p.textContent = text;
    box.append(p);
  }
  root.prepend(box);
  return box;
}

// Required fields left empty, in page order: [{field, message}].
export function missing_fields(form, names) {
  const out = [];
  for (const [name, message] of names) {
    const el = form.elements[name];
    if (!el) continue;
    if (el instanceof RadioNodeList) {
      if (!el.value) out.push({ field: el[0].closest('fieldset'), message });
    } else if (!el.value.trim()) {
      out.push({ field: el, message });
    }
  }
  return out;
}

// ---- steps and focus -------------------------------------------------------

// Replaces the content of `root` with a clone of <template id=name>, wires
// its password toggles, updates the page title, and moves focus to its
// heading. Earlier steps leave the page (a single question at a time).
export function show_step(root, name, title) {
  const tpl = document.getElementById(name);
  const node = tpl.content.firstElementChild.cloneNode(true);
  root.replaceChildren(node);
  wire_password_toggles(node);
  if (title) document.title = `${title} — Sésame`;
  const heading = node.querySelector('h2, h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
  return node;
}

// The form of a step (the step itself, or the form inside it).
export const form_in = (step) => (step.tagName === 'FORM' ? step : step.querySelector('form'));

// Sets the text of every [data-slot=name] inside root.
export function fill(root, values) {
  for (const [k, v] of Object.entries(values)) {
    for (const el of root.querySelectorAll(`[data-slot="${k}"]`)) el.textContent = v;
  }
}

// Disables a form's submit button while `work` runs (no double submit).
export async function busy(form, work) {
  const buttons = [...form.querySelectorAll('button[type=submit], button:not([type])')];
  for (const b of buttons) b.setAttribute('aria-disabled', 'true');
  form.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    for (const b of buttons) b.removeAttribute('aria-disabled');
    form.removeAttribute('aria-busy');
  }
}

// Calls handler(event) on submit unless a previous one is still running.
export function on_submit(form, handler) {
  let running = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (running) return;
    running = true;
    try {
      await busy(form, () => handler(ev));
    } finally {
      running = false;
    }
  });
}

// ---- fields ----------------------------------------------------------------

export function wire_password_toggles(root) {
  for (const box of root.querySelectorAll('[data-portal-show]')) {
    const input = root.querySelector(`#${box.dataset.portalShow}`);
    box.addEventListener('change', () => {
      input.type = box.checked ? 'text' : 'password';
    });
  }
}

// WebOTP: where the browser offers it, fills `input` from the SMS (which
// ends with "@host #123456") and calls done(). Returns a function that
// stops listening (call it when the step changes).
export function listen_for_sms_code(input, done) {
  if (!('OTPCredential' in window) || !navigator.credentials) return () => {};
  const ac = new AbortController();
  navigator.credentials.get({ otp: { transport: ['sms'] }, signal: ac.signal })
    .then((otp) => {
      if (otp && otp.code && input.isConnected) {
        input.value = otp.code;
        done();
      }
    })
    .catch(() => {});
  return () => ac.abort();
}

// Digits only, whatever the person typed around them ("123 456").
export const digits = (s) => s.replace(/\D/g, '');

// A countdown shown in `out` ("Vous pourrez demander un nouveau code dans
// 42 secondes."); calls done() at zero. Returns a stop function.
export function countdown(out, seconds, text, done) {
  let left = Math.max(1, Math.round(seconds));
  out.hidden = false;
  out.textContent = text(left);
  const timer = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(timer);
      out.textContent = '';
      out.hidden = true;
      done();
    } else {
      out.textContent = text(left);
    }
  }, 1000);
  return () => clearInterval(timer);
}

// Checks the two new-password fields of a form; [] when they agree.
export function password_pair_errors(form) {
  const a = form.elements.new_password;
  const b = form.elements.confirm_password;
  if (!a.value) return [{ field: a, message: 'Saisissez un nouveau mot de passe.' }];
  if (a.value.length < 12) return [{ field: a, message: 'Le mot de passe doit contenir au moins 12 caractères.' }];
  if (!b.value) return [{ field: b, message: 'Saisissez le mot de passe une seconde fois pour le confirmer.' }];
  if (a.value !== b.value) return [{ field: b, message: 'Les deux mots de passe ne sont pas identiques. Saisissez-les à nouveau.' }];
  return [];
}

// A 422 weak_password answer: the reasons as a list under the field.
export function show_weak_password(form, data) {
  show_errors(form, [{
    field: form.elements.new_password,
    message: 'Ce mot de passe n\'est pas assez sûr. Choisissez-en un autre :',
    list: data.reasons || [],
  }]);
}

// ---- time, in French ---------------------------------------------------------

const time_fmt = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit' });
const date_fmt = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' });

export const clock_time = (d) => time_fmt.format(d).replace(':', ' h ');
export const when = (iso) => {
  const d = iso instanceof Date ? iso : new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : `le ${date_fmt.format(d)} à ${clock_time(d)}`;
};
export const minutes = (s) => {
  const m = Math.round(Number(s) / 60);
  return `${m} minute${m > 1 ? 's' : ''}`;
};

// ---- navigation --------------------------------------------------------------

// The `retour` parameter kept only when it is a path of this site.
export function safe_return(raw) {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || /[\\\u0000-\u001f]/.test(raw)) return null;
  try {
    const u = new URL(raw, location.origin);
    return u.origin === location.origin ? u.pathname + u.search + u.hash : null;
  } catch {
    return null;
  }
}

// Parameters of the location's fragment ("#flow=…&token=…"), then clears
// it from the address bar so the secret does not linger in the history.
// A link pasted later into the same tab changes only the fragment: the page
// starts again with it (other fragments, like the skip link's, do not).
export function take_fragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  window.addEventListener('hashchange', () => {
    if (new URLSearchParams(location.hash.slice(1)).has('token')) location.reload();
  });
  return params;
}

// Logs out and goes to the login page.
export async function logout() {
  await api('DELETE', '/api/v1/session');
  location.assign('/');
}
