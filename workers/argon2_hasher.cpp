#include "workers/argon2_hasher.hpp"

#include <argon2.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include "core/error.hpp"

namespace sesame::workers {

namespace {

struct phc_cost {
    std::uint32_t version;
    std::uint32_t memory_kib;
    std::uint32_t iterations;
    std::uint32_t parallelism;
};

// Reads `<key>=<decimal>` followed by `sep` from the front of `s`.
bool take_number(std::string_view& s, std::string_view key, char sep, std::uint32_t& out) {
    if (s.substr(0, key.size()) != key) return false;
    s.remove_prefix(key.size());
    const char* first = s.data();
    const char* last = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(first, last, out);
    if (ec != std::errc{} || ptr == first || ptr == last || *ptr != sep) return false;
    if (*first == '0' && ptr - first > 1) return false;  // no leading zeros
    s.remove_prefix(static_cast<std::size_t>(ptr - first) + 1);
    return true;
}

// The parameters of "$argon2id$v=19$m=..,t=..,p=..$salt$tag"; nullopt if
// the string is not that shape (salt and tag are checked by libargon2).
std::optional<phc_cost> parse_argon2id_cost(std::string_view s) {
    constexpr std::string_view prefix = "$argon2id$";
    if (s.substr(0, prefix.size()) != prefix) return std::nullopt;
    s.remove_prefix(prefix.size());
    phc_cost c{};
    if (!take_number(s, "v=", '$', c.version) || !take_number(s, "m=", ',', c.memory_kib) ||
        !take_number(s, "t=", ',', c.iterations) || !take_number(s, "p=", '$', c.parallelism))
        return std::nullopt;
    const auto dollar = s.find('$');
    if (dollar == 0 || dollar == std::string_view::npos || dollar + 1 == s.size()) return std::nullopt;
    return c;
}

}  // namespace

argon2_hasher::argon2_hasher(crypto& rng, std::uint32_t memory_kib, std::uint32_t iterations,
                             std::uint32_t parallelism)
    : rng_(rng), memory_kib_(memory_kib), iterations_(iterations), parallelism_(parallelism) {
    if (iterations_ < ARGON2_MIN_TIME) throw std::invalid_argument("argon2: iterations must be at least 1");
    if (parallelism_ < ARGON2_MIN_LANES || parallelism_ > ARGON2_MAX_LANES)
        throw std::invalid_argument("argon2: parallelism out of range");
    if (memory_kib_ < 8u * parallelism_) throw std::invalid_argument("argon2: memory below 8 KiB per lane");
}

std::string argon2_hasher::hash(std::string_view password) {
    const std::string salt = rng_.random_bytes(salt_bytes);
    const std::size_t len =
        argon2_encodedlen(iterations_, memory_kib_, parallelism_, salt_bytes, tag_bytes, Argon2_id);
    std::vector<char> encoded(len + 1, '\0');
    const int rc = argon2id_hash_encoded(iterations_, memory_kib_, parallelism_, password.data(), password.size(),
                                         salt.data(), salt.size(), tag_bytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) throw infrastructure_error(std::string("argon2id_hash_encoded: ") + argon2_error_message(rc));
    return std::string(encoded.data());
}

bool argon2_hasher::verify(std::string_view encoded, std::string_view password) {
    // Refuse cheaply what libargon2 would refuse anyway (and embedded NULs,
    // which a C string would silently cut).
    if (!parse_argon2id_cost(encoded) || encoded.find('\0') != std::string_view::npos) return false;
    const std::string c_encoded(encoded);
    const int rc = argon2id_verify(c_encoded.c_str(), password.data(), password.size());
    if (rc == ARGON2_OK) return true;
    if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
        throw infrastructure_error(std::string("argon2id_verify: ") + argon2_error_message(rc));
    return false;  // ARGON2_VERIFY_MISMATCH, decoding and parameter errors
}

bool argon2_hasher::needs_rehash(std::string_view encoded) {
    const auto c = parse_argon2id_cost(encoded);
    return !c || c->version != ARGON2_VERSION_13 || c->memory_kib != memory_kib_ || c->iterations != iterations_ ||
           c->parallelism != parallelism_;
}

std::string argon2_hasher::make_dummy_hash() { return hash(base64url(rng_.random_bytes(24))); }

}  // namespace sesame::workers
