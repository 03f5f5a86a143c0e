// The syntax of configuration values (durations, integers, addresses, URLs),
// checked without any I/O. Depends on core/time.hpp and the standard library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace sesame::config {

// Exactly "90" (seconds), "90s", "30m" or "24h": decimal digits then at most
// one unit letter. Anything else ("1h30m", "-5s", "5x", "", "90ms", " 9s")
// or a value that overflows is nullopt. "0" parses; callers refuse it where
// it means nothing.
std::optional<duration> parse_duration(std::string_view text);

// An exact form parse_duration reads back, in the largest whole unit
// ("10s", "60s", "30m", "24h"; one minute stays "60s");
// a duration that is not whole seconds comes out as "250ms" (not readable).
std::string format_duration(duration d);

// Exactly "true" or "false".
std::optional<bool> parse_bool(std::string_view text);

// Decimal digits only (no sign, no spaces), at most `max`.
std::optional<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max);

// Dotted-quad IPv4 ("192.0.2.1", no leading zeros) or IPv6 text form
// ("::1", "2001:db8::1", "::ffff:192.0.2.1"); no zone id, no brackets.
bool is_ipv4_address(std::string_view text);
bool is_ipv6_address(std::string_view text);
bool is_ip_address(std::string_view text);
// An address, or an address followed by "/prefix" (0..32 or 0..128).
bool is_ip_address_or_range(std::string_view text);
// A DNS name: dot-separated labels of letters, digits and hyphens.
bool is_host_name(std::string_view text);

// "host:port": host an IPv4 address, a DNS name, or an IPv6 address in
// brackets ("[::1]:8080", host then holds "::1"). Port 0..65535.
struct host_port {
    std::string host;
    std::uint16_t port = 0;
};
std::optional<host_port> parse_host_port(std::string_view text);

// "scheme://[user[:password]@]host[:port][/path][?query][#fragment]".
// The scheme is lower-cased; nothing is percent-decoded; `rest` is what
// follows the authority (path, query, fragment), possibly empty.
struct url_parts {
    std::string scheme;
    std::optional<std::string> user;
    std::optional<std::string> password;
    std::string host;  // without IPv6 brackets
    std::optional<std::uint16_t> port;
    std::string rest;
};
std::optional<url_parts> parse_url(std::string_view text);

// The URL with its password (or a userinfo without ':' as a whole) and the
// values of query parameters that look secret (pass, secret, token, key)
// replaced by "***". In text that does not parse as a URL, whatever
// precedes the last '@' (after "://" if any) is masked instead.
std::string mask_url(std::string_view text);

}  // namespace sesame::config
