// The `sesame::crypto` port implemented with OpenSSL (CSPRNG, SHA-256,
// HMAC-SHA256) and liboath (HOTP/TOTP). Depends on core/crypto.hpp; the
// OpenSSL and liboath headers stay in the .cpp. Thread-safe, stateless.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto.hpp"

namespace sesame::workers {

class crypto_openssl final : public crypto {
public:
    // Initialises liboath once per process (std::call_once); throws
    // infrastructure_error if that fails.
    crypto_openssl();

    // RAND_bytes; throws infrastructure_error when the CSPRNG fails.
    std::string random_bytes(std::size_t n) override;
    // Raw 32-byte digests; throw infrastructure_error on an OpenSSL failure.
    std::string sha256(std::string_view data) override;
    std::string hmac_sha256(std::string_view key, std::string_view data) override;
    // liboath HOTP, 6 digits, dynamic truncation ("012345").
    std::string hotp6(std::string_view secret, std::uint64_t counter) override;
    // liboath TOTP: 30 s steps from the epoch, 6 digits, +-`window` steps;
    // the matching step. Nullopt for anything but exactly 6 ASCII digits, a
    // negative time or window. Codes are compared in constant time.
    std::optional<std::uint64_t> totp_match(std::string_view secret, std::string_view code,
                                            std::int64_t unix_seconds, int window) override;
};

}  // namespace sesame::workers
