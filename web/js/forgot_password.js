// Forgotten password: profile and identifier → a code by SMS (parents) or
// e-mail (pupils), with its reference and time; the code (or "Renvoyer le
// code", with the cooldown counted down); then the new password.
import { api, fill, form_in, message_of, minutes, missing_fields, on_submit, show_errors, show_step, when } from './common.js';
import { wire_code_form, wire_resend } from './code_step.js';
import { choose_new_password } from './new_password.js';

const root = document.getElementById('etape');
const form = document.getElementById('demande');

function ask_code(flow) {
  const step = show_step(root, 'code-etape', 'Code reçu');
  const sms = flow.channel === 'sms';
  fill(step, {
    reference: flow.reference,
    sent_at: when(new Date()),
    sent_title: sms ? 'Vérifiez vos SMS' : 'Vérifiez votre messagerie',
    sent_text: (sms
      ? 'Si ce compte existe et a un numéro de portable, un code à 6 chiffres vient de lui être envoyé par SMS.'
      : 'Si ce compte existe et a une adresse validée, un courriel vient de lui être envoyé, avec un lien et un code à 6 chiffres. Vous pouvez suivre le lien ou saisir le code ici.')
      + ` Il est valable ${minutes(flow.expires_in)}.`,
  });
  const f = form_in(step);
  wire_code_form(root, f, `/api/v1/recovery/password/${flow.flow_id}/verify`,
    (data) => choose_new_password(root, data.reset_token, 'Étape 3 sur 3'));

  wire_resend(root, f, `/api/v1/recovery/password/${flow.flow_id}/resend`);
}

on_submit(form, async () => {
  const missing = missing_fields(form, [
    ['profile', 'Indiquez si vous êtes responsable légal ou élève.'],
    ['identifier', 'Saisissez votre identifiant.'],
  ]);
  if (missing.length) return show_errors(form, missing);
  const r = await api('POST', '/api/v1/recovery/password', {
    identifier: form.elements.identifier.value.trim(),
    profile: form.elements.profile.value,
  });
  if (r.ok) return ask_code(r.data);
  show_errors(form, [{ message: message_of(r.data) }]);
});
