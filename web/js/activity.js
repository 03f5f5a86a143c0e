// Journal lines in French: the event type's label and a browser's short
// description, shared by the account page and the staff console.

const labels = {
  login_succeeded: 'Connexion réussie',
  login_failed: 'Essai de connexion manqué',
  account_locked: 'Compte bloqué après plusieurs essais manqués',
  account_unlocked: 'Compte débloqué',
  password_changed: 'Mot de passe changé',
  password_reset: 'Mot de passe réinitialisé (mot de passe oublié)',
  recovery_requested: 'Demande « mot de passe oublié »',
  code_sent: 'Code envoyé',
  code_failed: 'Code saisi incorrect',
  identifier_sent: 'Identifiant envoyé',
  email_change_requested: "Changement d'adresse électronique demandé",
  email_validated: 'Adresse électronique confirmée',
  contact_changed: 'Coordonnées modifiées',
  session_revoked: 'Appareil déconnecté',
  activation_completed: 'Compte activé',
  activation_code_issued: "Nouveau code d'activation remis par l'établissement",
};

export const event_label = (type) => labels[type] || 'Autre événement';

// Who acted, when it was a member of staff (not the person, the system or an import).
export const staff_actor = (actor) => (actor && !['self', 'system', 'import'].includes(actor) ? actor : null);

// "Firefox sous Windows", "Chrome sous Android"…; never the raw string alone.
export function describe_browser(ua) {
  if (!ua) return 'Navigateur inconnu';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /(Chrome|Chromium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari' : /curl|python|node|Go-http/i.test(ua) ? 'Programme' : 'Navigateur';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /Linux|X11/.test(ua) ? 'Linux' : '';
  return os ? `${browser} sous ${os}` : browser;
}
