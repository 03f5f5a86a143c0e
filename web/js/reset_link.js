// The e-mail link /reinitialisation#flow=…&token=…: the fragment never
// reaches a server log; it is verified, cleared from the address bar,
// then the new password is asked.
import { api, show_step, take_fragment } from './common.js';
import { choose_new_password, dead_request } from './new_password.js';

const root = document.getElementById('etape');
const params = take_fragment();
const flow = params.get('flow');
const token = params.get('token');

async function start() {
  if (!flow || !token || !/^[A-Za-z0-9_-]+$/.test(flow)) return show_step(root, 'sans-lien', 'Lien incomplet');
  const r = await api('POST', `/api/v1/recovery/password/${encodeURIComponent(flow)}/verify`, { token });
  if (r.ok) return choose_new_password(root, r.data.reset_token, '');
  if (r.data.error === 'invalid_code' || r.data.error === 'invalid_token' || r.data.error === 'invalid_request') {
    return dead_request(root, { message: "Ce lien n'est pas valide. Il a peut-être été coupé ou recopié incomplètement, ou un lien plus récent l'a remplacé. Faites une nouvelle demande." });
  }
  dead_request(root, r.data);
}
start();
