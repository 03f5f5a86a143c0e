// E-mail messages as bytes: RFC 5322 headers, MIME multipart/alternative with
// quoted-printable UTF-8 parts, RFC 2047 encoded words, SMTP dot-stuffing.
// Sans-I/O (no clock, no randomness: both are passed in). Depends on core only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/outbox.hpp"
#include "core/time.hpp"

namespace sesame::workers::mime {

// An address with its optional display name ("Sésame <no-reply@example.fr>").
struct mailbox {
    std::string display_name;  // UTF-8, may be empty
    std::string address;       // local@domain
};

// "Name <local@domain>", "\"Quoted, Name\" <local@domain>" or a bare
// "local@domain"; surrounding spaces ignored. nullopt when the address is not
// safe to put on an SMTP command line (see is_safe_address).
std::optional<mailbox> parse_mailbox(std::string_view text);

// One '@' with non-empty sides, at most 254 bytes, no controls, spaces or
// "<>()[],;:\"": safe between the angle brackets of MAIL FROM / RCPT TO.
bool is_safe_address(std::string_view address);

// What follows the last '@' ("" when none).
std::string_view domain_of(std::string_view address);

// RFC 5322 date-time in UTC: "Wed, 25 Nov 2026 18:02:11 +0000".
std::string format_date(timestamp t);

// Base64 (RFC 4648 §4: the standard alphabet, '=' padding, no line breaks),
// the one encoder of workers/: RFC 2047 encoded words, SMTP AUTH PLAIN and
// LOGIN (RFC 4954), DKIM's bh= and b= (RFC 6376), HTTP Basic credentials
// (RFC 7617) for the SMS gateway.
std::string base64(std::string_view bytes);

// Quoted-printable (RFC 2045 §6.7) of UTF-8 text whose lines end with "\n"
// or "\r\n": hard line breaks become CRLF, encoded lines are at most 76
// characters (soft breaks "=" CRLF never split an "=XX"), '=' and non-ASCII
// bytes are "=XX", a space or tab ending a line is encoded.
std::string quoted_printable(std::string_view text);

// A header value for unstructured text (Subject, display names): returned
// as is when printable ASCII, else as RFC 2047 "=?UTF-8?B?...?=" encoded
// words that never split a UTF-8 character, folded with CRLF SP so no line
// exceeds 76 characters; `used` is what the line already holds before the
// value ("Subject: " is 9). CR and LF in `text` become spaces.
std::string encode_header_text(std::string_view text, std::size_t used);

// "Name <address>" with the name quoted or RFC 2047-encoded as needed, or
// the bare address when there is no name. `used` as for encode_header_text.
std::string format_mailbox(const mailbox& mb, std::size_t used);

// A multipart boundary that cannot occur in quoted-printable content (it
// holds "=_"): "=_sesame_" + id + "_" + nonce. `nonce` is random hex.
std::string make_boundary(std::string_view id, std::string_view nonce);

// The whole message (headers, blank line, body) with CRLF line ends:
// Date, From, To, Subject, Message-ID <m.id@from-domain>, MIME-Version,
// Content-Type (multipart/alternative with a text/plain and a text/html part,
// or a single text/plain part when m.html is empty), Auto-Submitted:
// auto-generated, X-Sesame-Reference when m.reference is set.
std::string build_message(const outbox_message& m, const mailbox& from, timestamp now, std::string_view boundary);

// The SMTP DATA payload (RFC 5321 §4.5.2): CRLF line ends (a bare LF
// becomes CRLF), a '.' doubled at the start of a line, a final CRLF if
// missing, then the terminating ".\r\n".
std::string dot_stuff(std::string_view message);

}  // namespace sesame::workers::mime
