// Forgotten identifier: a parent gives the mobile number, a pupil the
// validated e-mail; the identifier goes there. The answer is the same
// whether or not an account matched, so the page says "if".
import { api, fill, message_of, on_submit, show_errors, show_step, when } from './common.js';

const root = document.getElementById('etape');
const form = document.getElementById('demande');

// Only the field of the chosen profile is shown (and submitted).
function show_field() {
  const chosen = form.elements.profile.value;
  for (const group of form.querySelectorAll('[data-for]')) {
    const on = group.dataset.for === chosen;
    group.hidden = !on;
    group.querySelector('input').disabled = !on;
  }
}
for (const radio of form.elements.profile) radio.addEventListener('change', show_field);
show_field();

on_submit(form, async () => {
  const profile = form.elements.profile.value;
  if (!profile) {
    return show_errors(form, [{ field: form.querySelector('#profil'), message: 'Indiquez si vous êtes responsable légal ou élève.' }]);
  }
  const parent = profile === 'parent';
  const input = parent ? form.elements.phone : form.elements.email;
  const value = input.value.trim();
  if (!value) {
    return show_errors(form, [{ field: input, message: parent ? 'Saisissez votre numéro de téléphone portable.' : 'Saisissez votre adresse électronique.' }]);
  }
  const r = await api('POST', '/api/v1/recovery/identifier', parent ? { profile, phone: value } : { profile, email: value });
  if (!r.ok) {
    if (r.data.error === 'invalid_request') {
      return show_errors(form, [{
        field: input,
        message: parent
          ? "Ce numéro n'est pas un numéro de portable français. Saisissez-le comme 06 12 34 56 78 ou +33 6 12 34 56 78."
          : "Cette adresse électronique n'est pas valide. Vérifiez-la, par exemple prenom.nom@exemple.fr.",
      }]);
    }
    return show_errors(form, [{ message: message_of(r.data) }]);
  }
  const step = show_step(root, 'envoye', 'Identifiant envoyé');
  fill(step, {
    reference: r.data.reference,
    sent_at: when(new Date()),
    title: parent ? 'Vérifiez vos SMS' : 'Vérifiez votre messagerie',
    text: parent
      ? 'Si ce numéro est celui d\'un compte activé, votre identifiant vient de lui être envoyé par SMS.'
      : 'Si cette adresse est celle, validée, d\'un compte activé, votre identifiant vient de lui être envoyé. Pensez à regarder dans les courriels indésirables.',
    who: parent
      ? 'Le secrétariat de scolarité de l\'établissement peut vérifier et corriger votre numéro.'
      : 'La vie scolaire (CPE) de l\'établissement peut vérifier et corriger votre adresse.',
  });
});
