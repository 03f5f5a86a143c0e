// The `sesame::password_hasher` port implemented with libargon2 (Argon2id,
// PHC strings). Depends on core/crypto.hpp for the salt source; argon2.h
// stays in the .cpp. Thread-safe (immutable after construction). Slow on
// purpose: call it from workers::hash_pool, never from a network thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto.hpp"

namespace sesame::workers {

class argon2_hasher final : public password_hasher {
public:
    static constexpr std::size_t salt_bytes = 16;
    static constexpr std::size_t tag_bytes = 32;

    // `rng` supplies the salts and must outlive the hasher. Throws
    // std::invalid_argument for a cost libargon2 refuses (iterations or
    // parallelism 0, memory below 8 KiB per lane). A cost below the OWASP
    // minimum is accepted: the caller (app) logs the warning, see
    // below_owasp_minimum().
    argon2_hasher(crypto& rng, std::uint32_t memory_kib, std::uint32_t iterations, std::uint32_t parallelism = 1);

    // "$argon2id$v=19$m=<kib>,t=<iter>,p=<par>$<salt>$<tag>" with a fresh
    // 16-byte salt and a 32-byte tag. Throws infrastructure_error on failure.
    std::string hash(std::string_view password) override;
    // True only when `password` matches. False on a mismatch and on any
    // malformed or non-argon2id `encoded`; throws infrastructure_error only
    // when libargon2 cannot allocate its memory.
    bool verify(std::string_view encoded, std::string_view password) override;
    // True when `encoded` is not an argon2id v=19 PHC string with exactly the
    // configured m, t and p (malformed strings need a rehash too).
    bool needs_rehash(std::string_view encoded) override;

    // A hash of a random password at the configured cost: verify against it
    // for unknown identifiers so their timing matches a real account's.
    std::string make_dummy_hash();

    // OWASP's Argon2id minimum is m=19456 KiB (19 MiB), t=2, p=1.
    static bool below_owasp_minimum(std::uint32_t memory_kib, std::uint32_t iterations) {
        return memory_kib < 19456 || iterations < 2;
    }

    std::uint32_t memory_kib() const { return memory_kib_; }
    std::uint32_t iterations() const { return iterations_; }
    std::uint32_t parallelism() const { return parallelism_; }

private:
    crypto& rng_;
    std::uint32_t memory_kib_;
    std::uint32_t iterations_;
    std::uint32_t parallelism_;
};

}  // namespace sesame::workers
