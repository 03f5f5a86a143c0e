#include "core/activation_code.hpp"

namespace sesame {

namespace {
constexpr std::string_view alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";  // 32 symbols
}

std::string generate_activation_code(crypto& c) {
    const std::string bytes = c.random_bytes(10);  // 80 bits = 16 symbols of 5 bits
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            if (!out.empty() && (out.size() + 1) % 5 == 0) out.push_back('-');
            out.push_back(alphabet[(acc >> bits) & 31]);
        }
    }
    return out;
}

std::string normalize_activation_code(std::string_view typed) {
    std::string out;
    out.reserve(typed.size());
    for (char ch : typed) {
        if (ch == ' ' || ch == '-') continue;
        out.push_back(ch >= 'a' && ch <= 'z' ? char(ch - 'a' + 'A') : ch);
    }
    return out;
}

std::string activation_digest(crypto& c, std::string_view code) { return c.sha256(normalize_activation_code(code)); }

bool looks_like_activation_code(std::string_view typed) {
    const std::string n = normalize_activation_code(typed);
    if (n.size() != 16) return false;
    for (char ch : n)
        if (alphabet.find(ch) == std::string_view::npos) return false;
    return true;
}

}  // namespace sesame
