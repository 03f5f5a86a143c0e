// The sans-I/O half of the SMS gateway client (declared in sms_sender.hpp):
// the JSON and Kannel requests, GSM 03.38, percent-encoding, and the reading
// of a gateway's answer into a send_result whose detail never holds the text.
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <optional>

#include "workers/sms_sender.hpp"

namespace sesame::workers {

namespace json = boost::json;
using boost::system::error_code;

namespace {

constexpr std::size_t snippet_limit = 120;  // bytes of a gateway answer in `detail`

// ---- UTF-8 and text helpers ----

// Decodes one UTF-8 sequence at s[i]; advances i. nullopt on malformed input.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = 0;
    if (b0 < 0x80) {
        ++i;
        return b0;
    } else if ((b0 & 0xE0) == 0xC0) {
        extra = 1;
        cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        extra = 2;
        cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        extra = 3;
        cp = b0 & 0x07;
    } else {
        return std::nullopt;
    }
    if (i + extra >= s.size()) return std::nullopt;
    for (int k = 1; k <= extra; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (b & 0x3F);
    }
    i += extra + 1;
    return cp;
}

bool in_gsm7(char32_t c) {
    if (c == U'\n' || c == U'\r' || c == U'\f') return true;
    if (c >= 0x20 && c <= 0x7E) return c != U'`';  // ASCII: all but the backquote (basic or extension table)
    static constexpr char32_t others[] = {
        U'£', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç', U'Ø', U'ø', U'Å', U'å', U'Δ', U'Φ', U'Γ', U'Λ',
        U'Ω', U'Π', U'Ψ', U'Σ', U'Θ', U'Ξ', U'Æ', U'æ', U'ß', U'É', U'¤', U'¡', U'Ä', U'Ö', U'Ñ', U'Ü',
        U'§', U'¿', U'ä', U'ö', U'ñ', U'ü', U'à', U'€'};
    return std::find(std::begin(others), std::end(others), c) != std::end(others);
}

// Cut to at most n bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t n) {
    if (s.size() <= n) return s;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
    if (what.empty()) return;
    for (std::size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
        s.replace(pos, what.size(), with);
}

// The first bytes of a gateway answer, on one line, without the message's
// text or any run of 4+ digits it holds (the code), even if echoed.
std::string snippet_of(std::string_view body, const outbox_message& m) {
    std::string s(body);
    replace_all(s, m.text, "[texte]");
    for (std::size_t i = 0; i < m.text.size();) {
        if (m.text[i] < '0' || m.text[i] > '9') {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < m.text.size() && m.text[j] >= '0' && m.text[j] <= '9') ++j;
        if (j - i >= 4) replace_all(s, std::string_view(m.text).substr(i, j - i), std::string(j - i, '*'));
        i = j;
    }
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    const auto first = s.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    std::string out(utf8_prefix(std::string_view(s).substr(first), snippet_limit));
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (out.size() < s.size() - first) out += "…";
    return out;
}

}  // namespace

std::string sms_sender::percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

bool sms_sender::fits_gsm7(std::string_view utf8) {
    for (std::size_t i = 0; i < utf8.size();) {
        const auto cp = next_code_point(utf8, i);
        if (!cp || !in_gsm7(*cp)) return false;
    }
    return true;
}

std::string sms_sender::json_body(const outbox_message& m, std::string_view callback_url) {
    json::object o;
    o["to"] = m.to;
    o["text"] = m.text;
    if (m.reference.empty())
        o["reference"] = nullptr;
    else
        o["reference"] = m.reference;
    o["message_id"] = m.id;
    if (!callback_url.empty()) o["callback_url"] = callback_url;
    return json::serialize(o);
}

std::string sms_sender::kannel_target(std::string_view base, const outbox_message& m, std::string_view callback_url) {
    std::string t(base.empty() ? std::string_view("/") : base);
    const auto q = t.find('?');
    if (q == std::string::npos)
        t += '?';
    else if (q + 1 < t.size() && t.back() != '&')
        t += '&';
    t += "to=" + percent_encode(m.to);
    t += "&text=" + percent_encode(m.text);
    t += "&charset=UTF-8";
    if (!fits_gsm7(m.text)) t += "&coding=2";
    if (!callback_url.empty()) {
        std::string dlr(callback_url);
        dlr += dlr.find('?') == std::string::npos ? '?' : '&';
        dlr += "message_id=" + percent_encode(m.id) + "&status=%d";
        t += "&dlr-mask=31&dlr-url=" + percent_encode(dlr);
    }
    return t;
}

send_result sms_sender::classify(unsigned status, std::string_view body, bool json_format, const outbox_message& m) {
    send_result r;
    r.detail = "HTTP " + std::to_string(status);
    const std::string snippet = snippet_of(body, m);
    if (!snippet.empty()) r.detail += " " + snippet;
    if (status >= 200 && status < 300) {
        r.outcome = send_result::accepted;
        if (json_format) {
            r.gateway_id = m.id;
            error_code ec;
            const json::value v = json::parse(body, ec);
            if (!ec && v.is_object()) {
                for (const char* key : {"id", "message_id"}) {
                    const json::value* f = v.as_object().if_contains(key);
                    if (!f) continue;
                    if (f->is_string() && !f->as_string().empty() && f->as_string().size() <= 128) {
                        r.gateway_id = std::string(f->as_string());
                        break;
                    }
                    if (f->is_int64() || f->is_uint64()) {
                        r.gateway_id = json::serialize(*f);
                        break;
                    }
                }
            }
        }
    } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
        r.outcome = send_result::permanent_failure;
    } else {
        r.outcome = send_result::temporary_failure;
    }
    return r;
}

}  // namespace sesame::workers
