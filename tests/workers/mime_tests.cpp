// mime: quoted-printable, RFC 2047 words, the whole message and
// dot-stuffing, each decoded back by the test's own decoders; smtp_protocol:
// the SMTP client's sans-I/O parsing (URL, replies, EHLO keywords).
#include <boost/test/unit_test.hpp>

#include <cctype>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "workers/mime.hpp"
#include "workers/smtp_sender.hpp"

namespace {

namespace wmime = sesame::workers::mime;
namespace smtp = sesame::workers::smtp;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;  // lower case is not what an encoder should write
}

// RFC 2045 decoder: "=" CRLF is a soft break, "=XX" a byte, CRLF a line end
// (returned as "\n"). Fails the test on a malformed escape.
std::string qp_decode(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '=') {
            if (in.substr(i + 1, 2) == "\r\n") {
                i += 2;
                continue;
            }
            BOOST_REQUIRE_MESSAGE(i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0,
                                  "bad escape at " << i);
            out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
            i += 2;
        } else if (in.substr(i, 2) == "\r\n") {
            out += '\n';
            ++i;
        } else {
            out += in[i];
        }
    }
    return out;
}

std::vector<std::string> crlf_lines(std::string_view s) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        const auto e = s.find("\r\n", pos);
        if (e == std::string_view::npos) {
            lines.emplace_back(s.substr(pos));
            break;
        }
        lines.emplace_back(s.substr(pos, e - pos));
        pos = e + 2;
    }
    return lines;
}

std::string b64_decode(std::string_view in) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        const auto v = alphabet.find(c);
        BOOST_REQUIRE(v != std::string::npos);
        buf = buf << 6 | unsigned(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>(buf >> bits & 0xFF);
        }
    }
    return out;
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = s[i];
        const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (int k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

// RFC 2047 decoder for B-encoded UTF-8 words; whitespace (with folding)
// between two encoded words is dropped, as §6.2 says. Checks each word.
std::string rfc2047_decode(std::string_view value) {
    static const std::regex word(R"(=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=)");
    std::string out;
    std::string text(value);
    auto it = std::sregex_iterator(text.begin(), text.end(), word);
    std::size_t last = 0;
    bool previous_was_word = false;
    for (; it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        const std::string between = text.substr(last, std::size_t(m.position(0)) - last);
        const bool only_space = between.find_first_not_of(" \t\r\n") == std::string::npos;
        if (!(previous_was_word && only_space)) out += between;
        BOOST_TEST(m.length(0) <= 75);
        const std::string decoded = b64_decode(m[1].str());
        BOOST_TEST(valid_utf8(decoded), "an encoded word splits a UTF-8 character");
        out += decoded;
        last = std::size_t(m.position(0) + m.length(0));
        previous_was_word = true;
    }
    out += text.substr(last);
    return out;
}

// Header fields of a message (unfolded values, name as written) and its body.
struct parsed_message {
    std::multimap<std::string, std::string> headers;  // raw (folded) values
    std::string body;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        BOOST_REQUIRE_MESSAGE(it != headers.end(), "missing header " << name);
        return it->second;
    }
};

parsed_message parse(std::string_view msg) {
    parsed_message p;
    const auto end = msg.find("\r\n\r\n");
    BOOST_REQUIRE(end != std::string_view::npos);
    p.body = std::string(msg.substr(end + 4));
    std::string name;
    for (const auto& line : crlf_lines(msg.substr(0, end))) {
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
            BOOST_REQUIRE(!name.empty());
            std::prev(p.headers.upper_bound(name))->second += "\r\n" + line;
            continue;
        }
        const auto colon = line.find(':');
        BOOST_REQUIRE(colon != std::string::npos);
        name = line.substr(0, colon);
        p.headers.emplace(name, line.substr(colon + 1 + (line.size() > colon + 1 && line[colon + 1] == ' ')));
    }
    return p;
}

const std::string subject = "Sésame : réinitialisation de votre mot de passe";

sesame::outbox_message sample_message() {
    sesame::outbox_message m;
    m.id = "0123456789abcdef0123456789abcdef";
    m.ch = sesame::channel::email;
    m.to = "lucas.dupont@example.fr";
    m.subject = subject;
    m.text = "Bonjour Lucas,\n\nVotre code : 482913. Référence : R-7K3F-92QX.\n.ligne qui commence par un point\n";
    m.html = "<!doctype html><p>Bonjour Lucas,</p><p>Votre code : <strong>482913</strong> = à saisir.</p>";
    m.reference = "R-7K3F-92QX";
    m.purpose = "recovery_code";
    return m;
}

sesame::timestamp at(std::string_view rfc3339) {
    auto t = sesame::parse_rfc3339(rfc3339);
    BOOST_REQUIRE(t);
    return *t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mime)

BOOST_AUTO_TEST_CASE(base64_matches_the_rfc_4648_vectors) {
    BOOST_TEST(wmime::base64("") == "");
    BOOST_TEST(wmime::base64("f") == "Zg==");
    BOOST_TEST(wmime::base64("fo") == "Zm8=");
    BOOST_TEST(wmime::base64("foo") == "Zm9v");
    BOOST_TEST(wmime::base64("foob") == "Zm9vYg==");
    BOOST_TEST(wmime::base64("fooba") == "Zm9vYmE=");
    BOOST_TEST(wmime::base64("foobar") == "Zm9vYmFy");
    BOOST_TEST(wmime::base64(std::string("\0user\0secret", 12)) == "AHVzZXIAc2VjcmV0");  // AUTH PLAIN
    BOOST_TEST(wmime::base64(std::string("\xfb\xff\xbf", 3)) == "+/+/");  // the standard alphabet
}

BOOST_AUTO_TEST_CASE(quoted_printable_encodes_french_accents_and_decodes_back) {
    const std::string text = "Référence : été à Noël, œuvre déjà vue.";
    const std::string qp = wmime::quoted_printable(text);
    BOOST_TEST(qp ==
               "R=C3=A9f=C3=A9rence : =C3=A9t=C3=A9 =C3=A0 No=C3=ABl, =C5=93uvre d=C3=A9j=\r\n"
               "=C3=A0 vue.");  // "=C3=A0" does not fit before the soft break: it moves whole
    BOOST_TEST(qp.find("\r\n") == 74u);
    BOOST_TEST(qp_decode(qp) == text);
}

BOOST_AUTO_TEST_CASE(quoted_printable_escapes_equals_and_trailing_whitespace) {
    BOOST_TEST(wmime::quoted_printable("a=b") == "a=3Db");
    BOOST_TEST(wmime::quoted_printable("fin  \nsuite\t\n") == "fin =20\r\nsuite=09\r\n");
    BOOST_TEST(wmime::quoted_printable("mi lieu") == "mi lieu");  // inner spaces stay literal
    BOOST_TEST(wmime::quoted_printable("crlf\r\nkept") == "crlf\r\nkept");
    BOOST_TEST(wmime::quoted_printable("") == "");
}

BOOST_AUTO_TEST_CASE(quoted_printable_soft_breaks_long_lines_at_76) {
    std::string text;
    for (int i = 0; i < 40; ++i) text += "é=à ";  // escapes everywhere, ends with a space
    text += "\n" + std::string(200, 'x') + "\n" + std::string(75, 'y') + "\n" + std::string(76, 'z');
    const std::string qp = wmime::quoted_printable(text);
    const auto lines = crlf_lines(qp);
    BOOST_TEST(lines.size() > 6u);
    for (const auto& line : lines) {
        BOOST_TEST(line.size() <= 76u, line);
        BOOST_TEST((line.empty() || (line.back() != ' ' && line.back() != '\t')), line);
        // Every '=' is an escape or the last character (a soft break):
        // no "=XX" split over two lines.
        for (std::size_t i = 0; i < line.size(); ++i)
            if (line[i] == '=' && i + 1 != line.size())
                BOOST_TEST((i + 2 < line.size() && hex_value(line[i + 1]) >= 0 && hex_value(line[i + 2]) >= 0),
                           line);
    }
    BOOST_TEST(lines[lines.size() - 1] == std::string(76, 'z'));  // exactly 76 fits without a soft break
    BOOST_TEST(qp_decode(qp) == text);
}

BOOST_AUTO_TEST_CASE(subject_is_rfc2047_encoded_and_decodes_back) {
    const std::string enc = wmime::encode_header_text(subject, 9);
    BOOST_TEST(enc.find("=?UTF-8?B?") == 0u);
    BOOST_TEST(rfc2047_decode(enc) == subject);
    const auto lines = crlf_lines("Subject: " + enc);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        BOOST_TEST(lines[i].size() <= 76u);
        if (i > 0) BOOST_TEST(lines[i].front() == ' ');  // folded continuation
    }
    // A long accented subject: several words, none splitting a character.
    std::string long_subject;
    for (int i = 0; i < 12; ++i) long_subject += "Élève réinscrit à l'école ";
    const std::string long_enc = wmime::encode_header_text(long_subject, 9);
    BOOST_TEST(crlf_lines(long_enc).size() > 5u);
    BOOST_TEST(rfc2047_decode(long_enc) == long_subject);
    for (const auto& line : crlf_lines("Subject: " + long_enc)) BOOST_TEST(line.size() <= 76u);
}

BOOST_AUTO_TEST_CASE(header_text_stays_plain_when_ascii_and_loses_line_breaks) {
    BOOST_TEST(wmime::encode_header_text("Votre identifiant", 9) == "Votre identifiant");
    BOOST_TEST(wmime::encode_header_text("a\r\nBcc: x@y.fr", 9) == "a  Bcc: x@y.fr");  // no header injection
    BOOST_TEST(wmime::encode_header_text("=?looks encoded?=", 9).find("=?UTF-8?B?") == 0u);
}

BOOST_AUTO_TEST_CASE(mailboxes_parse_and_format) {
    auto mb = wmime::parse_mailbox("Sésame <no-reply@localhost>");
    BOOST_REQUIRE(mb);
    BOOST_TEST(mb->display_name == "Sésame");
    BOOST_TEST(mb->address == "no-reply@localhost");
    BOOST_TEST(wmime::format_mailbox(*mb, 6) == "=?UTF-8?B?U8Opc2FtZQ==?= <no-reply@localhost>");
    auto quoted = wmime::parse_mailbox(R"("Collège, Paris" <a@b.fr>)");
    BOOST_REQUIRE(quoted);
    BOOST_TEST(quoted->display_name == "Collège, Paris");
    auto ascii = wmime::parse_mailbox("Dupont, Marie <a@b.fr>");
    BOOST_REQUIRE(ascii);
    BOOST_TEST(wmime::format_mailbox(*ascii, 6) == "\"Dupont, Marie\" <a@b.fr>");
    auto bare = wmime::parse_mailbox(" no-reply@ac-paris.fr ");
    BOOST_REQUIRE(bare);
    BOOST_TEST(bare->display_name.empty());
    BOOST_TEST(wmime::format_mailbox(*bare, 6) == "no-reply@ac-paris.fr");
    BOOST_TEST(!wmime::parse_mailbox("Nom <a b@c.fr>"));
    BOOST_TEST(!wmime::parse_mailbox("a@b.fr>\r\nRCPT TO:<x@y.fr"));
    BOOST_TEST(!wmime::parse_mailbox("sans-arobase"));
    BOOST_TEST(!wmime::parse_mailbox("Nom <>"));
    BOOST_TEST(wmime::domain_of("no-reply@ac-paris.fr") == "ac-paris.fr");
}

BOOST_AUTO_TEST_CASE(date_is_rfc5322) {
    BOOST_TEST(wmime::format_date(at("2026-11-25T18:02:11Z")) == "Wed, 25 Nov 2026 18:02:11 +0000");
    BOOST_TEST(wmime::format_date(at("2027-01-03T04:05:06.789Z")) == "Sun, 03 Jan 2027 04:05:06 +0000");
    BOOST_TEST(wmime::format_date(at("2028-02-29T23:59:59Z")) == "Tue, 29 Feb 2028 23:59:59 +0000");
}

BOOST_AUTO_TEST_CASE(whole_message_has_crlf_headers_and_both_parts) {
    const auto m = sample_message();
    const auto from = *wmime::parse_mailbox("Sésame <no-reply@ac-paris.fr>");
    const std::string boundary = wmime::make_boundary(m.id, "a1b2c3d4");
    const std::string msg = wmime::build_message(m, from, at("2026-11-25T18:02:11Z"), boundary);

    for (std::size_t i = 0; i < msg.size(); ++i) {
        if (msg[i] == '\n') BOOST_TEST_REQUIRE((i > 0 && msg[i - 1] == '\r'), "bare LF at " << i);
        if (msg[i] == '\r') BOOST_TEST_REQUIRE((i + 1 < msg.size() && msg[i + 1] == '\n'), "bare CR at " << i);
        BOOST_TEST_REQUIRE(static_cast<unsigned char>(msg[i]) < 0x80, "8-bit byte at " << i);
    }
    for (const auto& line : crlf_lines(msg)) BOOST_TEST(line.size() <= 998u);

    const auto p = parse(msg);
    static const std::regex date_re(
        R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000)");
    BOOST_TEST(std::regex_match(p.header("Date"), date_re));
    BOOST_TEST(p.header("Date") == "Wed, 25 Nov 2026 18:02:11 +0000");
    BOOST_TEST(p.header("Message-ID") == "<0123456789abcdef0123456789abcdef@ac-paris.fr>");
    BOOST_TEST(rfc2047_decode(p.header("From")) == "Sésame <no-reply@ac-paris.fr>");
    BOOST_TEST(p.header("To") == "lucas.dupont@example.fr");
    BOOST_TEST(rfc2047_decode(p.header("Subject")) == subject);
    BOOST_TEST(p.header("MIME-Version") == "1.0");
    BOOST_TEST(p.header("Auto-Submitted") == "auto-generated");
    BOOST_TEST(p.header("X-Sesame-Reference") == "R-7K3F-92QX");
    BOOST_TEST(p.header("Content-Type") == "multipart/alternative;\r\n boundary=\"" + boundary + "\"");

    // The body: preamble-free parts between "--boundary" lines, then the close.
    const std::string delim = "--" + boundary;
    BOOST_TEST(p.body.find(delim + "--\r\n") == p.body.size() - delim.size() - 4);
    std::vector<std::string> parts;
    std::size_t pos = p.body.find(delim + "\r\n");
    BOOST_REQUIRE(pos == 0u);
    while (true) {
        const std::size_t start = pos + delim.size() + 2;
        const std::size_t next = p.body.find("\r\n" + delim, start);
        BOOST_REQUIRE(next != std::string::npos);
        parts.push_back(p.body.substr(start, next - start));
        pos = next + 2;
        if (p.body.compare(pos + delim.size(), 2, "--") == 0) break;
    }
    BOOST_REQUIRE(parts.size() == 2u);
    const auto text_part = parse(parts[0]);
    BOOST_TEST(text_part.header("Content-Type") == "text/plain; charset=UTF-8");
    BOOST_TEST(text_part.header("Content-Transfer-Encoding") == "quoted-printable");
    BOOST_TEST(qp_decode(text_part.body) == m.text);
    const auto html_part = parse(parts[1]);
    BOOST_TEST(html_part.header("Content-Type") == "text/html; charset=UTF-8");
    BOOST_TEST(html_part.header("Content-Transfer-Encoding") == "quoted-printable");
    BOOST_TEST(qp_decode(html_part.body) == m.html);
}

BOOST_AUTO_TEST_CASE(text_only_message_when_html_is_empty) {
    auto m = sample_message();
    m.html.clear();
    m.reference.clear();
    const auto from = *wmime::parse_mailbox("no-reply@localhost");
    const auto p = parse(wmime::build_message(m, from, at("2026-11-25T18:02:11Z"), "unused"));
    BOOST_TEST(p.header("Content-Type") == "text/plain; charset=UTF-8");
    BOOST_TEST(p.header("Content-Transfer-Encoding") == "quoted-printable");
    BOOST_TEST(p.headers.count("X-Sesame-Reference") == 0u);
    BOOST_TEST(p.header("From") == "no-reply@localhost");
    BOOST_TEST(p.body.find("unused") == std::string::npos);
    BOOST_TEST(qp_decode(p.body) == m.text);  // the text ends with its own line break
}

BOOST_AUTO_TEST_CASE(boundaries_are_unique_and_cannot_occur_in_quoted_printable) {
    const auto a = wmime::make_boundary("0123", "aaaa0001");
    const auto b = wmime::make_boundary("0123", "aaaa0002");
    BOOST_TEST(a != b);
    BOOST_TEST(a.find("=_") != std::string::npos);
    // Whatever the text, its encoding never holds "=_" (an '=' is always "=XX" hex or a soft break).
    BOOST_TEST(wmime::quoted_printable("=_sesame_0123_aaaa0001 " + a).find("=_") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(dot_stuffing_doubles_leading_dots_and_terminates) {
    BOOST_TEST(wmime::dot_stuff(".cache\r\nok\r\n") == "..cache\r\nok\r\n.\r\n");
    BOOST_TEST(wmime::dot_stuff("a\n.\n..b\nc") == "a\r\n..\r\n...b\r\nc\r\n.\r\n");
    BOOST_TEST(wmime::dot_stuff("mid.dle\r\n") == "mid.dle\r\n.\r\n");
    BOOST_TEST(wmime::dot_stuff("") == ".\r\n");
    // In a built message, a text line starting with '.' travels stuffed.
    const auto m = sample_message();
    const auto from = *wmime::parse_mailbox("no-reply@localhost");
    const std::string data = wmime::dot_stuff(wmime::build_message(m, from, at("2026-11-25T18:02:11Z"), "=_b"));
    BOOST_TEST(data.find("\r\n..ligne qui commence par un point") != std::string::npos);
    BOOST_TEST(data.size() >= 5u);
    BOOST_TEST(data.substr(data.size() - 5) == "\r\n.\r\n");
    BOOST_TEST(data.find("\r\n.\r\n") == data.size() - 5);  // the terminator only at the end
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(smtp_protocol)

BOOST_AUTO_TEST_CASE(urls_give_security_port_and_decoded_credentials) {
    auto plain = smtp::parse_url("smtp://127.0.0.1:2525");
    BOOST_REQUIRE(plain);
    BOOST_TEST((plain->sec == smtp::security::plain));
    BOOST_TEST(plain->host == "127.0.0.1");
    BOOST_TEST(plain->port == 2525);
    BOOST_TEST(!plain->user);
    auto tls = smtp::parse_url("smtp+starttls://relay%40ac:p%C3%A9ss%3Aword@mail.ac-paris.fr");
    BOOST_REQUIRE(tls);
    BOOST_TEST((tls->sec == smtp::security::starttls));
    BOOST_TEST(tls->port == 587);
    BOOST_TEST(*tls->user == "relay@ac");
    BOOST_TEST(*tls->password == "péss:word");
    auto implicit = smtp::parse_url("SMTPS://[::1]");
    BOOST_REQUIRE(implicit);
    BOOST_TEST((implicit->sec == smtp::security::implicit_tls));
    BOOST_TEST(implicit->host == "::1");
    BOOST_TEST(implicit->port == 465);
    BOOST_TEST(!smtp::parse_url("http://mail.example.fr"));
    BOOST_TEST(!smtp::parse_url("smtp://"));
    BOOST_TEST(!smtp::parse_url("smtp://host:0"));
    BOOST_TEST(!smtp::parse_url("smtp://host:70000"));
    BOOST_TEST(!smtp::parse_url("smtp://u:p%zz@host"));
    BOOST_TEST(!smtp::parse_url("mail.example.fr:25"));
}

BOOST_AUTO_TEST_CASE(multiline_replies_are_gathered) {
    smtp::reply_parser p;
    BOOST_TEST(p.feed("250-mail.example.fr bonjour") == smtp::reply_parser::more);
    BOOST_TEST(p.feed("250-PIPELINING") == smtp::reply_parser::more);
    BOOST_TEST(p.feed("250-SIZE 10240000") == smtp::reply_parser::more);
    BOOST_TEST(p.feed("250-auth login PLAIN") == smtp::reply_parser::more);
    BOOST_TEST(p.feed("250-STARTTLS") == smtp::reply_parser::more);
    BOOST_TEST(p.feed("250 8BITMIME") == smtp::reply_parser::done);
    const auto r = p.take();
    BOOST_TEST(r.code == 250);
    BOOST_TEST(r.lines.size() == 6u);
    const auto caps = smtp::parse_ehlo(r);
    BOOST_TEST(caps.pipelining);
    BOOST_TEST(caps.starttls);
    BOOST_TEST(caps.eightbitmime);
    BOOST_TEST(!caps.smtputf8);
    BOOST_TEST(caps.auth_plain);
    BOOST_TEST(caps.auth_login);
    BOOST_TEST(caps.size.value_or(0) == 10240000u);

    BOOST_TEST(p.feed("250 2.0.0 Ok: queued as ABC123") == smtp::reply_parser::done);
    BOOST_TEST(p.take().summary() == "250 2.0.0 Ok: queued as ABC123");
    BOOST_TEST(p.feed("354") == smtp::reply_parser::done);
    BOOST_TEST(p.take().code == 354);
    BOOST_TEST(p.feed("451-4.3.0 first") == smtp::reply_parser::more);
    BOOST_TEST(p.feed("451 4.3.0 second") == smtp::reply_parser::done);
    BOOST_TEST(p.take().summary() == "451 4.3.0 first / 4.3.0 second");

    smtp::reply_parser bad;
    BOOST_TEST(bad.feed("250-a") == smtp::reply_parser::more);
    BOOST_TEST(bad.feed("251 b") == smtp::reply_parser::bad);  // the code changed
    smtp::reply_parser junk;
    BOOST_TEST(junk.feed("HTTP/1.1 400") == smtp::reply_parser::bad);
    smtp::reply_parser sep;
    BOOST_TEST(sep.feed("250x") == smtp::reply_parser::bad);
}

BOOST_AUTO_TEST_CASE(ehlo_keywords_old_auth_form_and_size_zero) {
    smtp::reply r;
    r.code = 250;
    r.lines = {"host", "AUTH=LOGIN", "SIZE 0", "SMTPUTF8"};
    const auto caps = smtp::parse_ehlo(r);
    BOOST_TEST(caps.auth_login);
    BOOST_TEST(!caps.auth_plain);
    BOOST_TEST(!caps.size);  // 0: no announced limit
    BOOST_TEST(caps.smtputf8);
    BOOST_TEST(!caps.starttls);
    smtp::reply only_greeting;
    only_greeting.code = 250;
    only_greeting.lines = {"STARTTLS"};  // the first line is the server's name, not a keyword
    BOOST_TEST(!smtp::parse_ehlo(only_greeting).starttls);
}

BOOST_AUTO_TEST_SUITE_END()
