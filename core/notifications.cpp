#include "core/notifications.hpp"

#include <cstdio>

namespace sesame {

namespace {

// GSM 03.38 basic character set, as UTF-8 code points (escape table excluded).
bool in_gsm7_basic(char32_t c) {
    if (c >= 'A' && c <= 'Z') return true;
    if (c >= 'a' && c <= 'z') return true;
    if (c >= '0' && c <= '9') return true;
    static const char32_t extra[] = {
        U'@', U'£', U'$', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç', U'\n', U'Ø', U'ø', U'\r', U'Å', U'å',
        U'Δ', U'_', U'Φ', U'Γ', U'Λ', U'Ω', U'Π', U'Ψ', U'Σ', U'Θ', U'Ξ', U'Æ', U'æ', U'ß', U'É', U' ',
        U'!', U'"', U'#', U'¤', U'%', U'&', U'\'', U'(', U')', U'*', U'+', U',', U'-', U'.', U'/', U':',
        U';', U'<', U'=', U'>', U'?', U'¡', U'Ä', U'Ö', U'Ñ', U'Ü', U'§', U'¿', U'ä', U'ö', U'ñ', U'ü', U'à'};
    for (char32_t e : extra)
        if (e == c) return true;
    return false;
}

// Europe/Paris wall-clock time: UTC+2 from the last Sunday of March 01:00 UTC
// to the last Sunday of October 01:00 UTC, else UTC+1.
std::chrono::sys_seconds last_sunday_0100(int year, unsigned month) {
    using namespace std::chrono;
    const sys_days last{year_month_day_last{std::chrono::year{year}, month_day_last{std::chrono::month{month}}}};
    const weekday wd{last};
    const sys_days sunday = last - days{(wd.c_encoding() + 7 - 0) % 7};
    return sys_seconds{sunday} + hours{1};
}

std::string paris_time(timestamp t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const int year = int(year_month_day{floor<days>(secs)}.year());
    const bool summer = secs >= last_sunday_0100(year, 3) && secs < last_sunday_0100(year, 10);
    const auto local = secs + hours(summer ? 2 : 1);
    const auto day = floor<days>(local);
    const year_month_day ymd{day};
    const hh_mm_ss hms{local - day};
    char buf[48];
    std::snprintf(buf, sizeof buf, "%02u/%02u/%04d à %02dh%02d", unsigned(ymd.day()), unsigned(ymd.month()),
                  int(ymd.year()), int(hms.hours().count()), int(hms.minutes().count()));
    return buf;
}

}  // namespace

bool fits_one_gsm7_segment(std::string_view s) {
    std::size_t septets = 0;
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char b = static_cast<unsigned char>(s[i]);
        char32_t cp;
        std::size_t len;
        if (b < 0x80) cp = b, len = 1;
        else if ((b >> 5) == 6) cp = b & 0x1f, len = 2;
        else if ((b >> 4) == 14) cp = b & 0x0f, len = 3;
        else if ((b >> 3) == 30) cp = b & 0x07, len = 4;
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
        i += len;
        if (!in_gsm7_basic(cp)) return false;
        ++septets;
    }
    return septets <= 160;
}

std::optional<outbox_message> lock_notice(const account& acc, bool hard, std::optional<timestamp> until,
                                          std::string id, timestamp now) {
    outbox_message m;
    m.id = std::move(id);
    m.purpose = "lock_notice";
    m.identifier = acc.identifier;
    m.created_at = now;
    m.next_attempt_at = now;
    const std::string when = until ? " jusqu'au " + paris_time(*until) : std::string{};
    if (acc.prof == profile::parent && acc.phone) {
        m.ch = channel::sms;
        m.to = *acc.phone;
        m.text = hard ? "Sésame : votre compte est bloqué après de nombreux essais de mot de passe. Pour le débloquer, "
                        "utilisez Mot de passe oublié ou contactez l'établissement."
                      : "Sésame : votre compte est bloqué" + when +
                            " après plusieurs mots de passe erronés. Si ce n'était pas vous, contactez l'établissement.";
        if (!fits_one_gsm7_segment(m.text))
            m.text = "Sésame : votre compte est bloqué après plusieurs mots de passe erronés.";
        return m;
    }
    if (!acc.email.empty() && acc.email_validated) {
        m.ch = channel::email;
        m.to = acc.email;
        m.subject = "Votre compte Sésame est bloqué";
        const std::string what =
            hard ? "Votre compte " + acc.identifier +
                       " est bloqué après de nombreux essais de mot de passe erronés. Pour le débloquer, utilisez "
                       "« Mot de passe oublié ? » sur la page de connexion, ou adressez-vous à la vie scolaire."
                 : "Votre compte " + acc.identifier + " est bloqué" + when +
                       " après plusieurs essais de mot de passe erronés.";
        m.text = "Bonjour " + acc.first_name + ",\n\n" + what +
                 "\n\nSi ce n'était pas vous, quelqu'un essaie peut-être d'accéder à votre compte : changez votre mot "
                 "de passe dès que possible et prévenez la vie scolaire.\n\n-- \nSésame\n";
        m.html = "<p>Bonjour " + acc.first_name + ",</p><p>" + what +
                 "</p><p>Si ce n'était pas vous, quelqu'un essaie peut-être d'accéder à votre compte : changez votre "
                 "mot de passe dès que possible et prévenez la vie scolaire.</p><p>— Sésame</p>";
        return m;
    }
    return std::nullopt;
}

std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

namespace {

outbox_message base_message(const message_context& ctx, channel ch, const std::string& to, const char* purpose) {
    outbox_message m;
    m.id = ctx.id;
    m.ch = ch;
    m.to = to;
    m.reference = ctx.reference;
    m.purpose = purpose;
    m.identifier = ctx.identifier;
    m.created_at = ctx.now;
    m.next_attempt_at = ctx.now;
    return m;
}

// The text of an SMS ending with the WebOTP line, shortened to one GSM-7
// segment when the host is long.
std::string sms_with_webotp(const std::string& body, const std::string& short_body, const message_context& ctx,
                            const std::string& code) {
    const std::string otp = "\n\n@" + ctx.public_host + " #" + code;
    std::string text = body + otp;
    if (fits_one_gsm7_segment(text)) return text;
    text = short_body + otp;
    if (fits_one_gsm7_segment(text)) return text;
    return short_body;  // a host too long for WebOTP: the code stays readable
}

std::string html_page(const std::string& title, const std::string& inner) {
    return "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
           "</title></head><body style=\"font-family:Arial,sans-serif;color:#161616;max-width:600px\">" + inner +
           "<p style=\"color:#666;font-size:13px\">Ce message est envoyé automatiquement par Sésame, le compte "
           "d'accès aux services numériques de votre établissement. Ne répondez pas à ce message.</p></body></html>";
}

}  // namespace

std::string french_duration(duration d) {
    const auto s = ceil_seconds(d);
    if (s < 60) return std::to_string(s) + " s";
    if (s % 3600 == 0) return std::to_string(s / 3600) + " h";
    return std::to_string((s + 59) / 60) + " min";
}

outbox_message recovery_code_sms(const message_context& ctx, const std::string& to, const std::string& code,
                                 duration ttl) {
    outbox_message m = base_message(ctx, channel::sms, to, "recovery_code");
    m.text = sms_with_webotp("Sésame : votre code pour changer de mot de passe est " + code + ". Valable " +
                                 french_duration(ttl) + ". Ne le donnez à personne.",
                             "Sésame : votre code est " + code + ".", ctx, code);
    m.not_after = ctx.now + ttl;
    return m;
}

outbox_message recovery_code_email(const message_context& ctx, const std::string& to, const std::string& first_name,
                                   const std::string& code, const std::string& link, duration ttl) {
    outbox_message m = base_message(ctx, channel::email, to, "recovery_code");
    m.subject = "Sésame : réinitialisation de votre mot de passe";
    const std::string validity = french_duration(ttl);
    m.text = "Bonjour " + first_name + ",\n\nVous avez demandé à changer le mot de passe de votre compte " +
             ctx.identifier + ".\n\nOuvrez ce lien pour choisir un nouveau mot de passe :\n" + link +
             "\n\nOu saisissez ce code sur la page ouverte lors de votre demande : " + code +
             "\n\nLe lien et le code sont valables " + validity + " et ne servent qu'une fois. Référence de la "
             "demande : " + ctx.reference + ".\n\nSi vous n'avez rien demandé, ignorez ce message : votre mot de passe "
             "ne change pas.\n\n-- \nSésame\n";
    m.html = html_page(m.subject,
                       "<p>Bonjour " + html_escape(first_name) +
                           ",</p><p>Vous avez demandé à changer le mot de passe de votre compte <strong>" +
                           html_escape(ctx.identifier) + "</strong>.</p><p><a href=\"" + html_escape(link) +
                           "\" style=\"background:#000091;color:#fff;padding:10px 16px;text-decoration:none\">Choisir "
                           "un nouveau mot de passe</a></p><p>Ou saisissez ce code sur la page ouverte lors de votre "
                           "demande : <strong style=\"font-size:20px;letter-spacing:3px\">" + code +
                           "</strong></p><p>Le lien et le code sont valables " + validity +
                           " et ne servent qu'une fois. Référence de la demande : " + html_escape(ctx.reference) +
                           ".</p><p>Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change "
                           "pas.</p>");
    m.not_after = ctx.now + ttl;
    return m;
}

outbox_message activation_code_sms(const message_context& ctx, const std::string& to, const std::string& code,
                                   duration ttl) {
    outbox_message m = base_message(ctx, channel::sms, to, "activation_code");
    m.text = sms_with_webotp("Sésame : votre code d'activation est " + code + ". Valable " + french_duration(ttl) +
                                 ". Ne le donnez à personne.",
                             "Sésame : votre code est " + code + ".", ctx, code);
    m.not_after = ctx.now + ttl;
    return m;
}

outbox_message identifier_reminder(const message_context& ctx, channel ch, const std::string& to,
                                   const std::vector<std::string>& identifiers) {
    outbox_message m = base_message(ctx, ch, to, "identifier_reminder");
    std::string list;
    for (const auto& id : identifiers) list += (list.empty() ? "" : ", ") + id;
    if (ch == channel::sms) {
        const bool several = identifiers.size() > 1;
        m.text = std::string("Sésame : ") + (several ? "vos identifiants sont " : "votre identifiant est ") + list +
                 ". Si vous n'avez rien demandé, ignorez ce message.";
        if (!fits_one_gsm7_segment(m.text)) {
            // Too many to list: as many as fit, then a count.
            std::string shown;
            std::size_t n = 0;
            for (; n < identifiers.size(); ++n) {
                const std::string next = shown + (shown.empty() ? "" : ", ") + identifiers[n];
                if (!fits_one_gsm7_segment("Sésame : vos identifiants sont " + next + " et " +
                                           std::to_string(identifiers.size()) + " autres."))
                    break;
                shown = next;
            }
            m.text = "Sésame : vos identifiants sont " + shown + " et " + std::to_string(identifiers.size() - n) +
                     " autres.";
        }
        return m;
    }
    m.subject = identifiers.size() > 1 ? "Sésame : vos identifiants" : "Sésame : votre identifiant";
    m.text = "Bonjour,\n\nVoici " + std::string(identifiers.size() > 1 ? "les identifiants associés" : "l'identifiant associé") +
             " à cette adresse : " + list + "\n\nRéférence de la demande : " + ctx.reference +
             ".\n\nSi vous n'avez rien demandé, ignorez ce message.\n\n-- \nSésame\n";
    std::string items;
    for (const auto& id : identifiers) items += "<li><strong>" + html_escape(id) + "</strong></li>";
    m.html = html_page(m.subject, "<p>Bonjour,</p><p>Voici " +
                                      std::string(identifiers.size() > 1 ? "les identifiants associés"
                                                                         : "l'identifiant associé") +
                                      " à cette adresse :</p><ul>" + items + "</ul><p>Référence de la demande : " +
                                      html_escape(ctx.reference) + ".</p><p>Si vous n'avez rien demandé, ignorez ce message.</p>");
    return m;
}

outbox_message password_changed_notice(const message_context& ctx, channel ch, const std::string& to) {
    outbox_message m = base_message(ctx, ch, to, "password_changed");
    if (ch == channel::sms) {
        m.text = "Sésame : le mot de passe du compte " + ctx.identifier +
                 " vient d'être changé. Si ce n'était pas vous, contactez vite l'établissement.";
        if (!fits_one_gsm7_segment(m.text))
            m.text = "Sésame : votre mot de passe vient d'être changé. Si ce n'était pas vous, contactez "
                     "l'établissement.";
        return m;
    }
    m.subject = "Sésame : votre mot de passe a été changé";
    m.text = "Bonjour,\n\nLe mot de passe du compte " + ctx.identifier +
             " vient d'être changé, et toutes ses sessions ont été fermées.\n\nSi c'était vous, il n'y a rien à "
             "faire.\nSi ce n'était pas vous : utilisez « Mot de passe oublié ? » sur la page de connexion pour "
             "reprendre la main, et prévenez la vie scolaire ou le secrétariat de l'établissement.\n\n-- \nSésame\n";
    m.html = html_page(m.subject, "<p>Bonjour,</p><p>Le mot de passe du compte <strong>" + html_escape(ctx.identifier) +
                                      "</strong> vient d'être changé, et toutes ses sessions ont été fermées.</p><p>Si "
                                      "c'était vous, il n'y a rien à faire.</p><p>Si ce n'était pas vous : utilisez "
                                      "« Mot de passe oublié ? » sur la page de connexion pour reprendre la main, et "
                                      "prévenez la vie scolaire ou le secrétariat de l'établissement.</p>");
    return m;
}

outbox_message email_confirmation(const message_context& ctx, const std::string& to, const std::string& first_name,
                                  const std::string& link, duration ttl) {
    outbox_message m = base_message(ctx, channel::email, to, "email_confirmation");
    m.subject = "Sésame : confirmez votre adresse e-mail";
    m.text = "Bonjour " + first_name + ",\n\nPour utiliser cette adresse avec votre compte " + ctx.identifier +
             ", ouvrez ce lien dans les " + french_duration(ttl) + " :\n" + link +
             "\n\nTant qu'elle n'est pas confirmée, elle ne reçoit aucun message de récupération.\nSi vous n'avez "
             "rien demandé, ignorez ce message.\n\n-- \nSésame\n";
    m.html = html_page(m.subject, "<p>Bonjour " + html_escape(first_name) +
                                      ",</p><p>Pour utiliser cette adresse avec votre compte <strong>" +
                                      html_escape(ctx.identifier) + "</strong>, confirmez-la dans les " +
                                      french_duration(ttl) + " :</p><p><a href=\"" + html_escape(link) +
                                      "\" style=\"background:#000091;color:#fff;padding:10px 16px;text-decoration:none\">"
                                      "Confirmer mon adresse</a></p><p>Si vous n'avez rien demandé, ignorez ce "
                                      "message.</p>");
    m.not_after = ctx.now + ttl;
    return m;
}

outbox_message contact_changed_notice(const message_context& ctx, channel ch, const std::string& to,
                                      const std::string& what) {
    outbox_message m = base_message(ctx, ch, to, "contact_changed");
    if (ch == channel::sms) {
        m.text = "Sésame : " + what + " du compte " + ctx.identifier +
                 " a été changé. Si ce n'était pas prévu, contactez l'établissement.";
        if (!fits_one_gsm7_segment(m.text))
            m.text = "Sésame : un contact de votre compte a été changé. En cas de doute, contactez l'établissement.";
        return m;
    }
    m.subject = "Sésame : " + what + " de votre compte a été changé";
    m.text = "Bonjour,\n\n" + what + " du compte " + ctx.identifier +
             " a été changé : ce message est le dernier envoyé à cette adresse pour ce compte.\n\nSi ce "
             "n'était pas prévu, contactez la vie scolaire ou le secrétariat de l'établissement.\n\n-- \nSésame\n";
    m.html = html_page(m.subject, "<p>Bonjour,</p><p>" + html_escape(what) + " du compte <strong>" +
                                      html_escape(ctx.identifier) +
                                      "</strong> a été changé : ce message est le dernier envoyé à cette adresse pour "
                                      "ce compte.</p><p>Si ce n'était pas prévu, contactez la vie scolaire ou le "
                                      "secrétariat de l'établissement.</p>");
    return m;
}

}  // namespace sesame
