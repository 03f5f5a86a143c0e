// The last steps of a password recovery, shared by the code path
// (/mot-de-passe-oublie) and the e-mail link (/reinitialisation): choose the
// new password with the reset token, then say it is done. A dead request
// ends on the "recommencer" step with the reason.
import { api, fill, form_in, message_of, on_submit, password_pair_errors, show_errors, show_step, show_weak_password } from './common.js';

export function dead_request(root, data) {
  const step = show_step(root, 'recommencer', 'Demande expirée');
  fill(step, { why: message_of(data) });
}

export function choose_new_password(root, reset_token, step_label) {
  const step = show_step(root, 'nouveau', 'Nouveau mot de passe');
  fill(step, { step: step_label || '' });
  const form = form_in(step);
  on_submit(form, async () => {
    const errors = password_pair_errors(form);
    if (errors.length) return show_errors(form, errors);
    const r = await api('POST', '/api/v1/recovery/password/reset', { reset_token, new_password: form.elements.new_password.value });
    if (r.ok) return show_step(root, 'termine', 'Mot de passe changé');
    if (r.status === 422) return show_weak_password(form, r.data);
    if (r.status === 410) return dead_request(root, r.data);
    show_errors(form, [{ message: message_of(r.data) }]);
  });
}
