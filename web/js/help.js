// Help page: checks the shape of a request reference (R-XXXX-XXXX, the
// server's alphabet) and says who to give it to. The lookup itself is for
// staff: the page sends nothing.
import { clear_errors, notice, on_submit, show_errors } from './common.js';

const form = document.getElementById('verifier-reference');
const out = document.getElementById('reference-resultat');
const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

export function normalise_reference(raw) {
  const s = raw.toUpperCase().replace(/[\s_.–-]/g, '');
  const body = s.startsWith('R') ? s.slice(1) : s;
  if (body.length !== 8 || [...body].some((c) => !alphabet.includes(c))) return null;
  return `R-${body.slice(0, 4)}-${body.slice(4)}`;
}

on_submit(form, async () => {
  out.replaceChildren();
  const input = form.elements.reference;
  if (!input.value.trim()) return show_errors(form, [{ field: input, message: 'Saisissez la référence affichée après votre demande.' }]);
  const ref = normalise_reference(input.value);
  if (!ref) {
    return show_errors(form, [{
      field: input,
      message: "Cette référence n'a pas la bonne forme. Elle ressemble à R-7K3F-92QX : recopiez-la telle qu'elle s'est affichée (ni 0, ni 1, ni I, ni O).",
    }]);
  }
  clear_errors(form);
  input.value = ref;
  notice(out, 'success', `La référence ${ref} est bien formée`,
    "Donnez-la à votre interlocuteur : le secrétariat de scolarité pour un SMS, la vie scolaire (CPE) pour un courriel. Il verra où et quand le message est parti, et s'il a été remis.").focus();
});
