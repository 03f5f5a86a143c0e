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

}  // namespace sesame
