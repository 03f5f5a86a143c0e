// Key and value encoding for every record the store keeps, in one place
// (STYLE.md practice 9). Pure byte manipulation: depends on the standard
// library, core/time.hpp and store/error.hpp only, never on RocksDB.
//
// VALUE LAYOUT. A value is a sequence of fields written by `encoder` and read
// back in the same order by `decoder`. There are no tags: a repository that
// may change its format writes a version byte first (put_u8(1)) and branches
// on it when decoding. Field encodings:
//   u8          1 byte
//   bool        1 byte, 0 or 1 (any other byte is malformed)
//   varint u64  LEB128: 7 bits per byte, low group first, high bit = "more";
//               at most 10 bytes; non-canonical or overflowing forms are
//               malformed
//   zigzag i64  (n << 1) ^ (n >> 63), then varint: small |n| stay short
//   fixed u64   8 bytes big-endian
//   string      varint byte length, then the bytes (any bytes; `bytes` is the
//               same encoding under another name, for binary data)
//   timestamp   zigzag i64 of milliseconds since the Unix epoch
//   optional<T> a presence bool, then T when present
// The decoder throws store_error on truncated input, malformed fields and
// (expect_end) trailing bytes: a corrupted record is an infrastructure fault.
//
// KEY LAYOUT. A key is a tuple of parts joined by one 0x00 byte:
//   part0 0x00 part1 0x00 ... partN          (no trailing separator)
//   text part   the raw bytes, which must not contain 0x00
//   u64 part    8 bytes big-endian, so keys sort by number
//   time part   8 bytes big-endian of (ms since epoch XOR 2^63), so keys sort
//               by time, instants before 1970 included
// Byte order of keys is then tuple order: "m.dupont"+0x00+... sorts before
// "m.dupont1", and prefix() (the key plus a separator) selects exactly the
// keys whose leading parts are equal to the builder's parts. Keys are read
// back positionally with key_reader, in the order they were built.
// (The expiry header of expiring families is not part of this codec's
// values: database adds and strips it, see store/database.hpp.)
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/time.hpp"
#include "store/error.hpp"

namespace sesame::store {

inline constexpr char key_separator = '\0';

// 8-byte big-endian u64, the order-preserving form used in keys and in the
// expiry header.
void append_big_endian_u64(std::string& out, std::uint64_t v);
std::string big_endian_u64(std::uint64_t v);
// Reads exactly 8 bytes; throws store_error if `bytes` is not 8 bytes long.
std::uint64_t read_big_endian_u64(std::string_view bytes);

// Appends fields to a value. Not thread-safe; cheap to create per record.
class encoder {
public:
    encoder() = default;
    explicit encoder(std::size_t reserve) { out_.reserve(reserve); }

    encoder& put_u8(std::uint8_t v);
    encoder& put_bool(bool v);
    encoder& put_varint(std::uint64_t v);
    encoder& put_i64(std::int64_t v);  // zigzag varint
    encoder& put_fixed_u64(std::uint64_t v);
    encoder& put_string(std::string_view s);
    encoder& put_bytes(std::string_view b) { return put_string(b); }
    encoder& put_timestamp(timestamp t);

    // A presence byte, then `put(*this, *v)` when v holds a value.
    template <class T, class Put>
    encoder& put_optional(const std::optional<T>& v, Put&& put) {
        put_bool(v.has_value());
        if (v) std::forward<Put>(put)(*this, *v);
        return *this;
    }
    encoder& put_optional_string(const std::optional<std::string>& v);
    encoder& put_optional_timestamp(const std::optional<timestamp>& v);
    encoder& put_optional_varint(const std::optional<std::uint64_t>& v);

    const std::string& bytes() const { return out_; }
    // Moves the value out (works at the end of a chain); the encoder is then empty.
    std::string take() { return std::exchange(out_, {}); }
    std::size_t size() const { return out_.size(); }

private:
    std::string out_;
};

// Reads fields from a value, in the order they were written. Views into the
// input: the input must outlive the decoder and any get_string_view result.
class decoder {
public:
    explicit decoder(std::string_view in) : in_(in) {}
    template <class S>
        requires std::same_as<S, std::string>
    explicit decoder(S&&) = delete;  // a temporary string: would dangle

    std::uint8_t get_u8();
    bool get_bool();
    std::uint64_t get_varint();
    std::int64_t get_i64();
    std::uint64_t get_fixed_u64();
    std::string get_string() { return std::string(get_string_view()); }
    std::string_view get_string_view();
    std::string get_bytes() { return get_string(); }
    timestamp get_timestamp();

    // A presence byte, then `get(*this)` when present.
    template <class Get>
    auto get_optional(Get&& get) -> std::optional<decltype(get(std::declval<decoder&>()))> {
        if (!get_bool()) return std::nullopt;
        return std::forward<Get>(get)(*this);
    }
    std::optional<std::string> get_optional_string();
    std::optional<timestamp> get_optional_timestamp();
    std::optional<std::uint64_t> get_optional_varint();

    std::size_t remaining() const { return in_.size() - pos_; }
    bool at_end() const { return pos_ == in_.size(); }
    // Throws store_error when bytes are left: a record longer than its format.
    void expect_end() const;

private:
    std::string_view take(std::size_t n, const char* what);

    std::string_view in_;
    std::size_t pos_ = 0;
};

// Builds a key from parts (layout above). Text parts containing 0x00 are a
// caller bug (input must be validated before it becomes a key): the builder
// throws std::invalid_argument.
class key_builder {
public:
    key_builder() = default;

    key_builder& add(std::string_view text);
    key_builder& add_u64(std::uint64_t v);
    key_builder& add_timestamp(timestamp t);

    // The key: the parts joined by separators.
    const std::string& key() const { return key_; }
    // Moves the key out (works at the end of a chain); the builder is then empty.
    std::string take() {
        empty_ = true;
        return std::exchange(key_, {});
    }
    // The key plus a separator: the scan prefix of every longer key whose
    // leading parts equal these parts (and of nothing else).
    std::string prefix() const;

private:
    void separate();

    std::string key_;
    bool empty_ = true;
};

// Reads a key's parts back, in the order they were added. Throws
// store_error when the key does not have the expected shape. Views into the
// key, which must outlive the reader and the text() results.
class key_reader {
public:
    explicit key_reader(std::string_view key) : key_(key) {}
    template <class S>
        requires std::same_as<S, std::string>
    explicit key_reader(S&&) = delete;  // a temporary string: would dangle

    std::string_view text();
    std::uint64_t u64();
    timestamp time();

    // True once the last part has been read.
    bool at_end() const { return done_; }
    void expect_end() const;

private:
    std::string_view fixed8();
    void end_part();

    std::string_view key_;
    std::size_t pos_ = 0;
    bool done_ = false;
};

}  // namespace sesame::store
