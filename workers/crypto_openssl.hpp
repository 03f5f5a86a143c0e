// The `sesame::crypto` port implemented with OpenSSL (CSPRNG, SHA-256,
// HMAC-SHA256, ES256 and AES-256-GCM through the EVP API) and liboath
// (HOTP/TOTP). Depends on core/crypto.hpp; the OpenSSL and liboath headers
// stay in the .cpp. Thread-safe; the only state is a small cache of parsed
// ES256 keys (so a signature does not parse its key again).
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

    // P-256 keys: the private key as PKCS#8 DER. Signatures are the raw
    // r||s form of RFC 7518 §3.4 (64 bytes), converted from and to the DER
    // ECDSA-Sig-Value OpenSSL works with.
    es256_key es256_generate() override;
    std::string es256_sign(std::string_view private_key, std::string_view data) override;
    bool es256_verify(std::string_view x, std::string_view y, std::string_view data,
                      std::string_view signature) override;
    std::string aes256gcm_seal(std::string_view key, std::string_view plaintext, std::string_view aad) override;
    std::optional<std::string> aes256gcm_open(std::string_view key, std::string_view sealed,
                                              std::string_view aad) override;
};

}  // namespace sesame::workers
