// Implementation of the key and value codec (layout in store/codec.hpp).
#include "store/codec.hpp"

#include <stdexcept>

namespace sesame::store {

namespace {

constexpr std::uint64_t sign_bit = std::uint64_t{1} << 63;

[[noreturn]] void malformed(const std::string& what) {
    throw store_error("store: enregistrement illisible (" + what + ")");
}

std::uint64_t zigzag(std::int64_t n) {
    return (static_cast<std::uint64_t>(n) << 1) ^ static_cast<std::uint64_t>(n >> 63);
}

std::int64_t unzigzag(std::uint64_t u) {
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

}  // namespace

void append_big_endian_u64(std::string& out, std::uint64_t v) {
    char b[8];
    for (int i = 7; i >= 0; --i) {
        b[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    out.append(b, 8);
}

std::string big_endian_u64(std::uint64_t v) {
    std::string s;
    append_big_endian_u64(s, v);
    return s;
}

std::uint64_t read_big_endian_u64(std::string_view bytes) {
    if (bytes.size() != 8) malformed("entier de 8 octets attendu, " + std::to_string(bytes.size()) + " octets");
    std::uint64_t v = 0;
    for (unsigned char c : bytes) v = (v << 8) | c;
    return v;
}

// ---- encoder ----

encoder& encoder::put_u8(std::uint8_t v) {
    out_.push_back(static_cast<char>(v));
    return *this;
}

encoder& encoder::put_bool(bool v) { return put_u8(v ? 1 : 0); }

encoder& encoder::put_varint(std::uint64_t v) {
    while (v >= 0x80) {
        out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
    return *this;
}

encoder& encoder::put_i64(std::int64_t v) { return put_varint(zigzag(v)); }

encoder& encoder::put_fixed_u64(std::uint64_t v) {
    append_big_endian_u64(out_, v);
    return *this;
}

encoder& encoder::put_string(std::string_view s) {
    put_varint(s.size());
    out_.append(s.data(), s.size());
    return *this;
}

encoder& encoder::put_timestamp(timestamp t) { return put_i64(to_millis(t)); }

encoder& encoder::put_optional_string(const std::optional<std::string>& v) {
    return put_optional(v, [](encoder& e, const std::string& s) { e.put_string(s); });
}

encoder& encoder::put_optional_timestamp(const std::optional<timestamp>& v) {
    return put_optional(v, [](encoder& e, timestamp t) { e.put_timestamp(t); });
}

encoder& encoder::put_optional_varint(const std::optional<std::uint64_t>& v) {
    return put_optional(v, [](encoder& e, std::uint64_t n) { e.put_varint(n); });
}

// ---- decoder ----

std::string_view decoder::take(std::size_t n, const char* what) {
    if (n > remaining()) malformed(std::string("tronqué dans ") + what);
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
}

std::uint8_t decoder::get_u8() { return static_cast<std::uint8_t>(take(1, "u8")[0]); }

bool decoder::get_bool() {
    auto b = static_cast<std::uint8_t>(take(1, "bool")[0]);
    if (b > 1) malformed("booléen " + std::to_string(b));
    return b == 1;
}

std::uint64_t decoder::get_varint() {
    std::uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
        auto b = static_cast<std::uint8_t>(take(1, "varint")[0]);
        std::uint64_t group = b & 0x7f;
        if (i == 9 && (b & 0xfe) != 0) malformed("varint dépasse 64 bits");
        v |= group << (7 * i);
        if ((b & 0x80) == 0) {
            if (b == 0 && i > 0) malformed("varint non canonique");
            return v;
        }
    }
    malformed("varint trop long");
}

std::int64_t decoder::get_i64() { return unzigzag(get_varint()); }

std::uint64_t decoder::get_fixed_u64() { return read_big_endian_u64(take(8, "u64 fixe")); }

std::string_view decoder::get_string_view() {
    auto n = get_varint();
    if (n > remaining()) malformed("chaîne tronquée");
    return take(static_cast<std::size_t>(n), "chaîne");
}

timestamp decoder::get_timestamp() { return from_millis(get_i64()); }

std::optional<std::string> decoder::get_optional_string() {
    return get_optional([](decoder& d) { return d.get_string(); });
}

std::optional<timestamp> decoder::get_optional_timestamp() {
    return get_optional([](decoder& d) { return d.get_timestamp(); });
}

std::optional<std::uint64_t> decoder::get_optional_varint() {
    return get_optional([](decoder& d) { return d.get_varint(); });
}

void decoder::expect_end() const {
    if (!at_end()) malformed(std::to_string(remaining()) + " octets en trop");
}

// ---- key_builder ----

void key_builder::separate() {
    if (!empty_) key_.push_back(key_separator);
    empty_ = false;
}

key_builder& key_builder::add(std::string_view text) {
    if (text.find(key_separator) != std::string_view::npos)
        throw std::invalid_argument("store: key part contains a 0x00 byte");
    separate();
    key_.append(text.data(), text.size());
    return *this;
}

key_builder& key_builder::add_u64(std::uint64_t v) {
    separate();
    append_big_endian_u64(key_, v);
    return *this;
}

key_builder& key_builder::add_timestamp(timestamp t) {
    return add_u64(static_cast<std::uint64_t>(to_millis(t)) ^ sign_bit);
}

std::string key_builder::prefix() const {
    std::string p = key_;
    if (!empty_) p.push_back(key_separator);
    return p;
}

// ---- key_reader ----

void key_reader::end_part() {
    if (pos_ == key_.size()) {
        done_ = true;
        return;
    }
    if (key_[pos_] != key_separator) malformed("clé : séparateur attendu");
    ++pos_;  // another part follows, possibly empty
}

std::string_view key_reader::text() {
    if (done_) malformed("clé : partie manquante");
    auto end = key_.find(key_separator, pos_);
    if (end == std::string_view::npos) end = key_.size();
    auto part = key_.substr(pos_, end - pos_);
    pos_ = end;
    end_part();
    return part;
}

std::string_view key_reader::fixed8() {
    if (done_ || key_.size() - pos_ < 8) malformed("clé : entier tronqué");
    auto part = key_.substr(pos_, 8);
    pos_ += 8;
    end_part();
    return part;
}

std::uint64_t key_reader::u64() { return read_big_endian_u64(fixed8()); }

timestamp key_reader::time() {
    return from_millis(static_cast<std::int64_t>(read_big_endian_u64(fixed8()) ^ sign_bit));
}

void key_reader::expect_end() const {
    if (!done_) malformed("clé : parties en trop");
}

}  // namespace sesame::store
