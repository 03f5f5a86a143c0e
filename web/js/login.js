// Login page: identifier and password; the authenticator code when the
// server asks for it (staff); a new password first when the account must
// change it; then /mon-compte (staff: /admin), or the same-origin `retour`.
import {
  api, clock_time, form_in, message_of, missing_fields, on_submit, password_pair_errors, safe_return, show_errors,
  show_step, show_weak_password, wire_password_toggles,
} from './common.js';

const root = document.getElementById('etape');
const form = document.getElementById('login');
const retour = safe_return(new URLSearchParams(location.search).get('retour'));
wire_password_toggles(form);

function destination(session) {
  if (session.profile === 'staff') return '/admin';
  return retour || '/mon-compte';
}

// The password just typed stays in this closure only, for the change.
function ask_new_password(session, typed) {
  const step = show_step(root, 'changer', 'Choisir un mot de passe');
  document.getElementById('a-savoir').hidden = true;
  const f = form_in(step);
  on_submit(f, async () => {
    const errors = password_pair_errors(f);
    if (errors.length) return show_errors(f, errors);
    const r = await api('POST', '/api/v1/me/password', { current_password: typed, new_password: f.elements.new_password.value });
    if (r.ok) {
      typed = null;
      location.assign(destination(session));
    } else if (r.status === 422) {
      show_weak_password(f, r.data);
    } else if (r.status === 401 && r.data.error === 'unauthenticated') {
      location.assign(location.href);
    } else {
      show_errors(f, [{ message: message_of(r.data) }]);
    }
  });
}

const otp_group = document.getElementById('otp-group');
const otp = form.elements.otp;

function show_otp() {
  otp_group.hidden = false;
  otp.disabled = false;
  otp.required = true;
}

on_submit(form, async () => {
  const missing = missing_fields(form, [
    ['identifier', 'Saisissez votre identifiant.'],
    ['password', 'Saisissez votre mot de passe.'],
  ]);
  if (missing.length) return show_errors(form, missing);
  const body = { identifier: form.elements.identifier.value.trim(), password: form.elements.password.value };
  if (!otp.disabled && otp.value.trim()) body.otp = otp.value.replace(/\D/g, '');
  const r = await api('POST', '/api/v1/session', body);
  if (r.ok) {
    if (r.data.must_change_password) return ask_new_password(r.data, body.password);
    return location.assign(destination(r.data));
  }
  const e = r.data.error;
  if (e === 'otp_required') {
    const first = otp_group.hidden;
    show_otp();
    return show_errors(form, [{
      field: otp,
      message: first
        ? "Saisissez le code à 6 chiffres de votre application d'authentification."
        : "Ce code n'est pas le bon ou a déjà servi. Attendez le code suivant dans l'application, puis saisissez-le.",
    }]);
  }
  if (e === 'invalid_credentials') {
    return show_errors(form, [{
      message: "L'identifiant ou le mot de passe est incorrect. Vérifiez l'identifiant (par exemple m.dupont) et le mot de passe. Après plusieurs essais manqués, le compte est bloqué pour un temps.",
    }]);
  }
  if (e === 'account_locked') {
    const until = r.data.locked_until;
    return show_errors(form, [{
      message: until
        ? `Votre compte est bloqué jusqu'à ${clock_time(new Date(until))} après plusieurs essais manqués. Réessayez ensuite, ou choisissez un nouveau mot de passe avec « Mot de passe oublié ? ».`
        : "Votre compte est bloqué après de nombreux essais manqués. Choisissez un nouveau mot de passe avec « Mot de passe oublié ? », ou contactez votre établissement.",
    }]);
  }
  show_errors(form, [{ message: message_of(r.data) }]);
});
