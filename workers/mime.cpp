#include "workers/mime.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace sesame::workers::mime {

namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

bool is_printable_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

// Keeps printable ASCII only (header values we control: ids, references).
std::string printable_only(std::string_view s) {
    std::string out;
    for (unsigned char c : s)
        if (c >= 0x21 && c <= 0x7e) out += char(c);
    return out;
}

std::string without_line_breaks(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c == '\r' || c == '\n') c = ' ';
    return out;
}

// Length of the last line of a folded header value.
std::size_t last_line_length(std::string_view s, std::size_t used) {
    const auto nl = s.rfind('\n');
    return nl == std::string_view::npos ? used + s.size() : s.size() - nl - 1;
}

void encode_qp_line(std::string& out, std::string_view line) {
    std::size_t col = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const unsigned char c = line[i];
        const bool last = i + 1 == line.size();
        char tok[3];
        std::size_t n = 1;
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
            tok[0] = char(c);
        } else {
            tok[0] = '=';
            tok[1] = hex_digits[c >> 4];
            tok[2] = hex_digits[c & 15];
            n = 3;
        }
        // A line that goes on needs room for its soft break '='; the last
        // token may use the 76th column.
        const std::size_t limit = last ? 76 : 75;
        if (col + n > limit) {
            out += "=\r\n";
            col = 0;
        }
        out.append(tok, n);
        col += n;
    }
}

}  // namespace

bool is_safe_address(std::string_view a) {
    if (a.empty() || a.size() > 254) return false;
    const auto at = a.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == a.size()) return false;
    for (unsigned char c : a) {
        if (c <= 0x20 || c == 0x7f) return false;
        if (std::string_view("<>()[],;:\"\\").find(char(c)) != std::string_view::npos) return false;
    }
    return true;
}

std::string_view domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

std::optional<mailbox> parse_mailbox(std::string_view text) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    text = trim(text);
    mailbox mb;
    if (!text.empty() && text.back() == '>') {
        const auto lt = text.rfind('<');
        if (lt == std::string_view::npos) return std::nullopt;
        mb.address = std::string(text.substr(lt + 1, text.size() - lt - 2));
        std::string_view name = trim(text.substr(0, lt));
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
            name = name.substr(1, name.size() - 2);
            for (std::size_t i = 0; i < name.size(); ++i) {
                if (name[i] == '\\' && i + 1 < name.size()) ++i;
                mb.display_name += name[i];
            }
        } else {
            mb.display_name = std::string(name);
        }
        mb.display_name = without_line_breaks(mb.display_name);
    } else {
        mb.address = std::string(text);
    }
    if (!is_safe_address(mb.address)) return std::nullopt;
    return mb;
}

std::string format_date(timestamp t) {
    using namespace std::chrono;
    static constexpr const char* day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto secs = floor<seconds>(t);
    const auto day = floor<std::chrono::days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    const weekday wd{day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0000", day_names[wd.c_encoding()],
                  unsigned(ymd.day()), month_names[unsigned(ymd.month()) - 1], int(ymd.year()), int(hms.hours().count()),
                  int(hms.minutes().count()), int(hms.seconds().count()));
    return buf;
}

std::string base64(std::string_view bytes) {
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 | (unsigned char)bytes[i + 2];
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        unsigned v = (unsigned char)bytes[i] << 16;
        if (rest == 2) v |= (unsigned char)bytes[i + 1] << 8;
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += rest == 2 ? alphabet[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

std::string quoted_printable(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    std::size_t pos = 0;
    for (bool first = true;; first = false) {
        const auto nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        if (nl != std::string_view::npos && !line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!first) out += "\r\n";
        encode_qp_line(out, line);
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    return out;
}

std::string encode_header_text(std::string_view raw, std::size_t used) {
    const std::string text = without_line_breaks(raw);
    if (is_printable_ascii(text) && text.find("=?") == std::string::npos) return text;
    // Encoded words of at most 75 characters, each line at most 76:
    // "=?UTF-8?B?" + base64 + "?=" is 12 + 4*ceil(n/3) characters.
    std::string out;
    std::size_t pos = 0;
    std::size_t room = 76 - std::min<std::size_t>(used, 76);  // the first line's room
    if (room < 16) {
        out += "\r\n ";  // no word fits after the field name: start on a continuation line
        room = 75;
    }
    while (pos < text.size()) {
        std::size_t n = std::min<std::size_t>((std::min<std::size_t>(room, 75) - 12) / 4 * 3, text.size() - pos);
        // Never split a UTF-8 sequence: back off onto a lead byte.
        while (n > 0 && pos + n < text.size() && (static_cast<unsigned char>(text[pos + n]) & 0xC0) == 0x80) --n;
        if (n == 0) n = 1;  // only for invalid UTF-8 (4+ continuation bytes in a row): stay total
        if (pos > 0) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(text.substr(pos, n)) + "?=";
        pos += n;
        room = 75;
    }
    return out;
}

std::string format_mailbox(const mailbox& mb, std::size_t used) {
    if (mb.display_name.empty()) return mb.address;
    std::string name;
    if (is_printable_ascii(mb.display_name) && mb.display_name.find("=?") == std::string::npos) {
        const bool plain_atoms =
            mb.display_name.find_first_of("()<>[]:;@\\,.\"") == std::string::npos && mb.display_name.front() != ' ';
        if (plain_atoms) {
            name = mb.display_name;
        } else {
            name = "\"";
            for (char c : mb.display_name) {
                if (c == '"' || c == '\\') name += '\\';
                name += c;
            }
            name += '"';
        }
    } else {
        name = encode_header_text(mb.display_name, used);
    }
    const std::size_t col = last_line_length(name, used);
    const std::string addr = "<" + mb.address + ">";
    return name + (col + 1 + addr.size() > 76 ? "\r\n " : " ") + addr;
}

std::string make_boundary(std::string_view id, std::string_view nonce) {
    return "=_sesame_" + printable_only(id) + "_" + printable_only(nonce);
}

std::string build_message(const outbox_message& m, const mailbox& from, timestamp now, std::string_view boundary) {
    std::string_view domain = domain_of(from.address);
    if (domain.empty()) domain = "localhost";
    std::string msg;
    msg.reserve(1024 + 2 * (m.text.size() + m.html.size()));
    msg += "Date: " + format_date(now) + "\r\n";
    msg += "From: " + format_mailbox(from, 6) + "\r\n";
    msg += "To: " + without_line_breaks(m.to) + "\r\n";
    msg += "Subject: " + encode_header_text(m.subject, 9) + "\r\n";
    msg += "Message-ID: <" + printable_only(m.id) + "@" + printable_only(domain) + ">\r\n";
    msg += "MIME-Version: 1.0\r\n";
    const std::string part_text_headers =
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";
    if (m.html.empty())
        msg += part_text_headers;
    else
        msg += "Content-Type: multipart/alternative;\r\n boundary=\"" + std::string(boundary) + "\"\r\n";
    msg += "Auto-Submitted: auto-generated\r\n";
    if (const std::string ref = printable_only(m.reference); !ref.empty()) msg += "X-Sesame-Reference: " + ref + "\r\n";
    msg += "\r\n";
    if (m.html.empty()) {
        msg += quoted_printable(m.text);
        if (msg.size() < 2 || msg.compare(msg.size() - 2, 2, "\r\n") != 0) msg += "\r\n";
        return msg;
    }
    const std::string delimiter = "--" + std::string(boundary);
    msg += delimiter + "\r\n" + part_text_headers + "\r\n";
    msg += quoted_printable(m.text);
    msg += "\r\n" + delimiter + "\r\n";
    msg += "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    msg += quoted_printable(m.html);
    msg += "\r\n" + delimiter + "--\r\n";
    return msg;
}

std::string dot_stuff(std::string_view message) {
    std::string out;
    out.reserve(message.size() + message.size() / 64 + 8);
    bool line_start = true;
    for (std::size_t i = 0; i < message.size(); ++i) {
        const char c = message[i];
        if (line_start && c == '.') out += '.';
        line_start = false;
        if (c == '\n') {
            if (out.empty() || out.back() != '\r') out += '\r';
            out += '\n';
            line_start = true;
            continue;
        }
        out += c;
    }
    if (!line_start) out += "\r\n";
    out += ".\r\n";
    return out;
}

}  // namespace sesame::workers::mime
