// Ports for randomness, digests and password hashing, implemented in
// workers/ (OpenSSL, libargon2, liboath). Core only sees these interfaces.
// Depends on the standard library only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sesame {

// Randomness and digests. Implementations must be thread-safe.
class crypto {
public:
    virtual ~crypto() = default;
    // n bytes from the OS CSPRNG; throws infrastructure_error on failure.
    virtual std::string random_bytes(std::size_t n) = 0;
    // Raw 32-byte SHA-256 digest.
    virtual std::string sha256(std::string_view data) = 0;
    // Raw 32-byte HMAC-SHA256.
    virtual std::string hmac_sha256(std::string_view key, std::string_view data) = 0;
    // A 6-digit HOTP code (RFC 4226) over `secret` at `counter`, as "012345".
    virtual std::string hotp6(std::string_view secret, std::uint64_t counter) = 0;
    // RFC 6238 TOTP check (30 s steps, 6 digits) allowing +-`window` steps:
    // the time step (unix seconds / 30) whose code is `code`, or nullopt.
    // The caller refuses a step it has already accepted (no replay).
    virtual std::optional<std::uint64_t> totp_match(std::string_view secret, std::string_view code,
                                                    std::int64_t unix_seconds, int window) = 0;
};

// Password hashing (Argon2id). Implementations must be thread-safe and are
// slow on purpose: call them from the hashing pool, never a network thread.
class password_hasher {
public:
    virtual ~password_hasher() = default;
    // PHC string: $argon2id$v=19$m=...,t=...,p=1$salt$hash
    virtual std::string hash(std::string_view password) = 0;
    virtual bool verify(std::string_view encoded, std::string_view password) = 0;
    // True when `encoded` was made with another cost than the configured one.
    virtual bool needs_rehash(std::string_view encoded) = 0;
};

// Constant-time comparison of two byte strings (length may leak, content does not).
bool constant_time_equal(std::string_view a, std::string_view b);

// Encodings used for tokens and keys.
std::string to_hex(std::string_view bytes);
std::string base64url(std::string_view bytes);  // no padding
bool from_base64url(std::string_view text, std::string& out);

}  // namespace sesame
