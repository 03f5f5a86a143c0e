// Which address a request comes from: the peer's, or, when the peer is one
// of http.trusted_proxies, the nearest untrusted hop of X-Forwarded-For.
// Depends on the standard library only (addresses are parsed by hand).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sesame::net {

// An IPv4 (mapped into IPv6) or IPv6 network.
struct ip_network {
    std::array<std::uint8_t, 16> bytes{};
    unsigned prefix = 128;
    bool contains(const std::array<std::uint8_t, 16>& addr) const;
};

std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text);
std::optional<ip_network> parse_network(std::string_view text);  // "10.0.0.0/8", "::1", "127.0.0.1"

class proxy_trust {
public:
    explicit proxy_trust(const std::vector<std::string>& trusted);
    bool trusts(std::string_view ip) const;
    // The client address: `peer` unless it is trusted, then X-Forwarded-For
    // walked right to left past trusted hops.
    std::string client_ip(const std::string& peer, std::string_view forwarded_for) const;
    bool empty() const { return networks_.empty(); }

private:
    std::vector<ip_network> networks_;
};

}  // namespace sesame::net
