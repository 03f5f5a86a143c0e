// The "Code reçu" step shared by the forgotten password and the activation:
// 6 digits typed or filled by WebOTP, verified at `verify`; a wrong code
// says how many tries are left; a dead flow ends the journey with its
// reason; 429 says when to try again. "Renvoyer le code" counts down the
// cooldown the server gives (Retry-After) before it can be used again.
import {
  api, clear_errors, clock_time, countdown, digits, listen_for_sms_code, message_of, minutes, notice, on_submit, show_errors,
} from './common.js';
import { dead_request } from './new_password.js';

// form: the step's form; calls verified(data) with the server's answer.
export function wire_code_form(root, form, verify, verified) {
  const input = form.elements.code;
  const stop_listening = listen_for_sms_code(input, () => form.requestSubmit());
  on_submit(form, async () => {
    const code = digits(input.value);
    if (code.length !== 6) {
      return show_errors(form, [{ field: input, message: 'Saisissez les 6 chiffres du code reçu, sans lettre.' }]);
    }
    const r = await api('POST', verify, { code });
    if (r.ok) {
      stop_listening();
      return verified(r.data);
    }
    if (r.data.error === 'invalid_code') {
      const left = r.data.attempts_left;
      if (left === 0) {
        stop_listening();
        return dead_request(root, { message: "Ce code n'est pas le bon et c'était le dernier essai : la demande est fermée. Faites une nouvelle demande pour recevoir un autre code." });
      }
      const tail = left === undefined ? '' : ` Il vous reste ${left} essai${left > 1 ? 's' : ''}.`;
      return show_errors(form, [{ field: input, message: `Ce code n'est pas le bon. Vérifiez le dernier message reçu (un code renvoyé remplace le précédent).${tail}` }]);
    }
    if (r.status === 410) {
      stop_listening();
      return dead_request(root, r.data);
    }
    show_errors(form, [{ field: input, message: message_of(r.data) }]);
  });
  return stop_listening;
}

// The step's [data-action=resend] button: a new code, the previous dead.
export function wire_resend(root, form, path) {
  const resend = form.querySelector('[data-action=resend]');
  const wait = form.querySelector('#attente');
  let waiting = false;
  resend.addEventListener('click', async () => {
    if (waiting) return;
    clear_errors(form);
    const r = await api('POST', path);
    if (r.ok) {
      notice(form, 'success', 'Nouveau code envoyé', `Un nouveau code a été envoyé à ${clock_time(new Date())}. Il est valable ${minutes(r.data.expires_in)} ; le précédent ne fonctionne plus.`).focus();
      return;
    }
    if (r.status === 429) {
      waiting = true;
      resend.setAttribute('aria-disabled', 'true');
      show_errors(form, [{ message: "Un code vient d'être envoyé. Attendez un peu avant d'en demander un autre : un SMS ou un courriel peut mettre quelques minutes à arriver." }]);
      countdown(wait, Number(r.data.retry_after) || 60, (s) => `Vous pourrez demander un nouveau code dans ${s} seconde${s > 1 ? 's' : ''}.`, () => {
        waiting = false;
        resend.removeAttribute('aria-disabled');
      });
      return;
    }
    if (r.status === 410) return dead_request(root, r.data);
    show_errors(form, [{ message: message_of(r.data) }]);
  });
}
