#include "core/identifier.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace sesame {

namespace {

// U+00C0..U+00FF. "" drops the character (× and ÷).
constexpr std::array<const char*, 64> latin1_fold = {
    "a", "a", "a", "a", "a", "a", "ae", "c",  // À Á Â Ã Ä Å Æ Ç
    "e", "e", "e", "e", "i", "i", "i", "i",   // È É Ê Ë Ì Í Î Ï
    "d", "n", "o", "o", "o", "o", "o", "",    // Ð Ñ Ò Ó Ô Õ Ö ×
    "o", "u", "u", "u", "u", "y", "th", "ss", // Ø Ù Ú Û Ü Ý Þ ß
    "a", "a", "a", "a", "a", "a", "ae", "c",  // à á â ã ä å æ ç
    "e", "e", "e", "e", "i", "i", "i", "i",   // è é ê ë ì í î ï
    "d", "n", "o", "o", "o", "o", "o", "",    // ð ñ ò ó ô õ ö ÷
    "o", "u", "u", "u", "u", "y", "th", "y",  // ø ù ú û ü ý þ ÿ
};

// U+0100..U+017F (Latin Extended-A).
constexpr std::array<const char*, 128> latin_ext_a_fold = {
    "a", "a", "a", "a", "a", "a",                               // Ā ā Ă ă Ą ą
    "c", "c", "c", "c", "c", "c", "c", "c",                     // Ć ć Ĉ ĉ Ċ ċ Č č
    "d", "d", "d", "d",                                         // Ď ď Đ đ
    "e", "e", "e", "e", "e", "e", "e", "e", "e", "e",           // Ē ē Ĕ ĕ Ė ė Ę ę Ě ě
    "g", "g", "g", "g", "g", "g", "g", "g",                     // Ĝ ĝ Ğ ğ Ġ ġ Ģ ģ
    "h", "h", "h", "h",                                         // Ĥ ĥ Ħ ħ
    "i", "i", "i", "i", "i", "i", "i", "i", "i", "i",           // Ĩ ĩ Ī ī Ĭ ĭ Į į İ ı
    "ij", "ij", "j", "j",                                       // Ĳ ĳ Ĵ ĵ
    "k", "k", "k",                                              // Ķ ķ ĸ
    "l", "l", "l", "l", "l", "l", "l", "l", "l", "l",           // Ĺ ĺ Ļ ļ Ľ ľ Ŀ ŀ Ł ł
    "n", "n", "n", "n", "n", "n", "n", "n", "n",                // Ń ń Ņ ņ Ň ň ŉ Ŋ ŋ
    "o", "o", "o", "o", "o", "o",                               // Ō ō Ŏ ŏ Ő ő
    "oe", "oe",                                                 // Œ œ
    "r", "r", "r", "r", "r", "r",                               // Ŕ ŕ Ŗ ŗ Ř ř
    "s", "s", "s", "s", "s", "s", "s", "s",                     // Ś ś Ŝ ŝ Ş ş Š š
    "t", "t", "t", "t", "t", "t",                               // Ţ ţ Ť ť Ŧ ŧ
    "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", // Ũ ũ Ū ū Ŭ ŭ Ů ů Ű ű Ų ų
    "w", "w",                                                   // Ŵ ŵ
    "y", "y", "y",                                              // Ŷ ŷ Ÿ
    "z", "z", "z", "z", "z", "z",                               // Ź ź Ż ż Ž ž
    "s",                                                        // ſ
};

void append_folded(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        const char c = static_cast<char>(cp);
        if (c >= 'a' && c <= 'z') out.push_back(c);
        else if (c >= '0' && c <= '9') out.push_back(c);
        else if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (cp >= 0xC0 && cp <= 0xFF) {
        out += latin1_fold[cp - 0xC0];
    } else if (cp >= 0x100 && cp <= 0x17F) {
        out += latin_ext_a_fold[cp - 0x100];
    } else if (cp == 0x218 || cp == 0x219) {  // Ș ș (Romanian)
        out.push_back('s');
    } else if (cp == 0x21A || cp == 0x21B) {  // Ț ț
        out.push_back('t');
    }
    // Everything else, combining marks (U+0300..U+036F) included, is dropped.
}

std::string letters_only(std::string folded) {
    std::erase_if(folded, [](char c) { return c < 'a' || c > 'z'; });
    return folded;
}

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

}  // namespace

char32_t decode_utf8(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    std::size_t len;
    char32_t cp;
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; min = 0x80; }
    else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; min = 0x800; }
    else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; min = 0x10000; }
    else { ++i; return invalid_code_point; }
    if (i + len > s.size()) { ++i; return invalid_code_point; }
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) { ++i; return invalid_code_point; }
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { ++i; return invalid_code_point; }
    i += len;
    return cp;
}

std::optional<std::size_t> utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (decode_utf8(s, i) == invalid_code_point) return std::nullopt;
        ++n;
    }
    return n;
}

std::string fold_to_ascii_lower(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size();) {
        const char32_t cp = decode_utf8(utf8, i);
        if (cp != invalid_code_point) append_folded(out, cp);
    }
    return out;
}

std::string base_identifier(std::string_view first_name, std::string_view last_name) {
    const std::string first = letters_only(fold_to_ascii_lower(first_name));
    std::string last = letters_only(fold_to_ascii_lower(last_name));
    if (last.empty()) last = "x";
    std::string id;
    id.reserve(2 + last.size());
    id.push_back(first.empty() ? 'x' : first.front());
    id.push_back('.');
    id += last;
    return id;
}

std::string next_free_identifier(std::string_view base,
                                 const std::function<bool(std::string_view)>& is_taken) {
    std::string candidate(base);
    if (!is_taken(candidate)) return candidate;
    constexpr std::uint64_t max_suffix = 10'000'000;
    for (std::uint64_t n = 1; n <= max_suffix; ++n) {
        candidate.resize(base.size());
        candidate += std::to_string(n);
        if (!is_taken(candidate)) return candidate;
    }
    throw infrastructure_error("no free identifier for base " + std::string(base));
}

std::string normalize_login(std::string_view login) {
    while (!login.empty() && is_ascii_space(login.front())) login.remove_prefix(1);
    while (!login.empty() && is_ascii_space(login.back())) login.remove_suffix(1);
    std::string out(login);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace sesame
