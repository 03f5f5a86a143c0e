// Parent activation: mobile number → SMS code → one birth date per child
// (and the first name when several parents match) with the new password →
// the identifier, with a session already open.
import {
  api, fill, form_in, message_of, minutes, on_submit, password_pair_errors, show_errors, show_step, show_weak_password, when,
} from './common.js';
import { wire_code_form, wire_resend } from './code_step.js';
import { dead_request } from './new_password.js';

const root = document.getElementById('etape');
const form = document.getElementById('demande');

function ask_dates(activation_token, children) {
  const step = show_step(root, 'enfants', 'Vos enfants');
  const f = form_in(step);
  const holder = step.querySelector('[data-slot-dates]');
  const tpl = document.getElementById('date-enfant');
  const n = Math.max(1, children || 1);
  for (let i = 1; i <= n; i += 1) {
    const group = tpl.content.firstElementChild.cloneNode(true);
    const label = group.querySelector('label');
    const input = group.querySelector('input');
    input.id = `naissance-${i}`;
    input.name = `birth_date_${i}`;
    input.max = new Date().toISOString().slice(0, 10);
    label.htmlFor = input.id;
    label.textContent = `Date de naissance de l'enfant ${i}`;
    holder.append(group);
  }
  const first_name = f.elements.first_name;
  on_submit(f, async () => {
    const dates = [...holder.querySelectorAll('input')];
    const errors = dates.filter((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d.value))
      .map((d) => ({ field: d, message: `Saisissez la ${d.labels[0].textContent.toLowerCase()} (jour, mois, année).` }));
    if (!first_name.disabled && !first_name.value.trim()) errors.push({ field: first_name, message: 'Saisissez votre prénom.' });
    errors.push(...password_pair_errors(f));
    if (errors.length) return show_errors(f, errors);
    const body = { activation_token, children_birth_dates: dates.map((d) => d.value), new_password: f.elements.new_password.value };
    if (!first_name.disabled) body.first_name = first_name.value.trim();
    const r = await api('POST', '/api/v1/activation/complete', body);
    if (r.ok) {
      const done = show_step(root, 'active', 'Compte activé');
      return fill(done, { identifier: r.data.identifier });
    }
    const e = r.data.error;
    if (e === 'birth_dates_mismatch') {
      const left = r.data.attempts_left;
      if (left === 0) return dead_request(root, { message: "Ces dates ne correspondent pas à celles que l'établissement connaît, et c'était le dernier essai. Vérifiez les dates auprès du secrétariat de scolarité, puis recommencez." });
      return show_errors(f, [{
        field: step.querySelector('#dates'),
        message: `Ces dates ne correspondent pas à celles que l'établissement connaît. Vérifiez-les (jour, mois, année) : il vous reste ${left} essai${left > 1 ? 's' : ''}.`,
      }]);
    }
    if (e === 'ambiguous_contact') {
      if (first_name.disabled) {
        step.querySelector('#prenom-groupe').hidden = false;
        first_name.disabled = false;
        return show_errors(f, [{ field: first_name, message: 'Plusieurs responsables ont ce numéro et ces enfants. Indiquez votre prénom pour que nous trouvions votre compte.' }]);
      }
      return dead_request(root, { message: "Nous ne pouvons pas distinguer votre compte de celui d'un autre responsable. Adressez-vous au secrétariat de scolarité de l'établissement : il vous remettra un code d'activation." });
    }
    if (r.status === 422) return show_weak_password(f, r.data);
    if (r.status === 410) return dead_request(root, r.data);
    show_errors(f, [{ message: message_of(r.data) }]);
  });
}

function ask_code(flow) {
  const step = show_step(root, 'code-etape', 'Code reçu');
  fill(step, {
    reference: flow.reference,
    sent_at: when(new Date()),
    sent_title: 'Vérifiez vos SMS',
    sent_text: `Si ce numéro est celui d'un responsable légal dont le compte n'est pas encore activé, un code à 6 chiffres vient de lui être envoyé. Il est valable ${minutes(flow.expires_in)}.`,
  });
  const f = form_in(step);
  wire_code_form(root, f, `/api/v1/activation/${flow.flow_id}/verify`, (data) => ask_dates(data.activation_token, data.children));
  wire_resend(root, f, `/api/v1/activation/${flow.flow_id}/resend`);
}

on_submit(form, async () => {
  const input = form.elements.phone;
  if (!input.value.trim()) return show_errors(form, [{ field: input, message: 'Saisissez votre numéro de téléphone portable.' }]);
  const r = await api('POST', '/api/v1/activation', { phone: input.value.trim() });
  if (r.ok) return ask_code(r.data);
  if (r.data.error === 'invalid_request') {
    return show_errors(form, [{ field: input, message: "Ce numéro n'est pas un numéro de portable français. Saisissez-le comme 06 12 34 56 78 ou +33 6 12 34 56 78." }]);
  }
  show_errors(form, [{ message: message_of(r.data) }]);
});
