#include "net/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace sesame::net {

bool ip_network::contains(const std::array<std::uint8_t, 16>& addr) const {
    unsigned bits = prefix;
    for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
        const unsigned take = bits >= 8 ? 8 : bits;
        const std::uint8_t mask = std::uint8_t(0xff << (8 - take));
        if ((addr[i] & mask) != (bytes[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() > 45) return std::nullopt;
    const std::string s(text);
    std::array<std::uint8_t, 16> out{};
    in_addr v4;
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out[10] = out[11] = 0xff;  // ::ffff:a.b.c.d
        std::memcpy(&out[12], &v4, 4);
        return out;
    }
    in6_addr v6;
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        std::memcpy(out.data(), &v6, 16);
        return out;
    }
    return std::nullopt;
}

std::optional<ip_network> parse_network(std::string_view text) {
    const auto slash = text.find('/');
    const auto addr = parse_ip(text.substr(0, slash));
    if (!addr) return std::nullopt;
    const bool v4 = (*addr)[10] == 0xff && (*addr)[11] == 0xff &&
                    std::all_of(addr->begin(), addr->begin() + 10, [](std::uint8_t b) { return b == 0; });
    ip_network n{*addr, 128};
    if (slash != std::string_view::npos) {
        unsigned p = 0;
        const auto digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3) return std::nullopt;
        for (char c : digits) {
            if (c < '0' || c > '9') return std::nullopt;
            p = p * 10 + unsigned(c - '0');
        }
        if (p > (v4 ? 32u : 128u)) return std::nullopt;
        n.prefix = v4 ? 96 + p : p;
    }
    return n;
}

proxy_trust::proxy_trust(const std::vector<std::string>& trusted) {
    for (const auto& t : trusted)
        if (auto n = parse_network(t)) networks_.push_back(*n);
}

bool proxy_trust::trusts(std::string_view ip) const {
    const auto a = parse_ip(ip);
    if (!a) return false;
    for (const auto& n : networks_)
        if (n.contains(*a)) return true;
    return false;
}

std::string proxy_trust::client_ip(const std::string& peer, std::string_view forwarded_for) const {
    if (networks_.empty() || forwarded_for.empty() || !trusts(peer)) return peer;
    std::string current = peer;
    while (!forwarded_for.empty()) {
        const auto comma = forwarded_for.rfind(',');
        std::string_view hop = comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
        forwarded_for = comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
        while (!hop.empty() && hop.front() == ' ') hop.remove_prefix(1);
        while (!hop.empty() && hop.back() == ' ') hop.remove_suffix(1);
        if (!parse_ip(hop)) return current;  // garbage: stop at the last address we believe
        current = std::string(hop);
        if (!trusts(current)) return current;
    }
    return current;
}

}  // namespace sesame::net
