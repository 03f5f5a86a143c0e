// SMTP's sans-I/O pieces (RFC 5321): the server URL, reply lines, EHLO
// capabilities. No Asio, no clock. Depends on the standard library only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sesame::workers {

namespace smtp {

enum class security { plain, starttls, implicit_tls };

struct endpoint {
    security sec = security::plain;
    std::string host;  // without IPv6 brackets
    std::uint16_t port = 25;
    std::optional<std::string> user;  // percent-decoded
    std::optional<std::string> password;
};

// smtp:// (port 25), smtp+starttls:// (587), smtps:// (465); nullopt for
// another scheme, a missing host, a bad port or bad percent-encoding.
std::optional<endpoint> parse_url(std::string_view url);

// One server reply: its code and its lines' texts (after "250-" / "250 ").
struct reply {
    int code = 0;
    std::vector<std::string> lines;
    // "250 2.0.0 Ok: queued as ABC123" (lines joined with " / ", at most 300 bytes).
    std::string summary() const;
};

// Accumulates reply lines (without CRLF). feed() answers done on the last
// line ("250 ..." or "250"), more on "250-...", bad on anything else
// (not three digits, a code changing between lines).
class reply_parser {
public:
    enum status { more, done, bad };
    status feed(std::string_view line);
    reply take();  // the finished reply; resets the parser

private:
    reply r_;
};

struct capabilities {
    bool starttls = false;
    bool pipelining = false;
    bool eightbitmime = false;
    bool smtputf8 = false;
    bool auth_plain = false;
    bool auth_login = false;
    std::optional<std::uint64_t> size;  // SIZE limit when announced non-zero
};

// The keywords of an EHLO reply (lines after the first); "AUTH=LOGIN" too.
capabilities parse_ehlo(const reply& r);

}  // namespace smtp

}  // namespace sesame::workers
