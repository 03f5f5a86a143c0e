// /mon-compte/confirmer#token=…: confirms the new e-mail address with the
// token of the link (no session needed) and says so.
import { api, fill, message_of, show_step, take_fragment } from './common.js';

const root = document.getElementById('etape');

async function start() {
  const token = take_fragment().get('token');
  if (!token) {
    const step = show_step(root, 'echec', 'Lien incomplet');
    return fill(step, {
      title: 'Le lien est incomplet',
      why: "Ouvrez cette page depuis le lien du courriel de confirmation. S'il est coupé en deux dans votre messagerie, copiez-le en entier dans la barre d'adresse.",
    });
  }
  const r = await api('POST', '/api/v1/email/confirm', { token });
  if (r.ok) return fill(show_step(root, 'confirmee', 'Adresse confirmée'), { email: r.data.email });
  const step = show_step(root, 'echec', 'Confirmation impossible');
  if (r.status === 410) {
    return fill(step, {
      title: 'Ce lien a expiré',
      why: 'Un lien de confirmation est valable 24 heures et ne sert qu\'une fois. Depuis « Mon compte », saisissez à nouveau votre adresse : un nouveau lien vous sera envoyé.',
    });
  }
  fill(step, {
    title: "Ce lien n'est pas valide",
    why: r.data.error === 'invalid_token'
      ? "Il a peut-être été recopié incomplètement, ou une demande plus récente l'a remplacé. Depuis « Mon compte », saisissez à nouveau votre adresse pour recevoir un nouveau lien."
      : message_of(r.data),
  });
}
start();
