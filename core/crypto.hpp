// Ports for randomness, digests and password hashing, implemented in
// workers/ (OpenSSL, libargon2, liboath). Core only sees these interfaces.
// Depends on the standard library only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sesame {

// An ES256 key pair (ECDSA on P-256): the private key as PKCS#8 DER, the
// public point as two raw 32-byte coordinates (a JWK's x and y).
struct es256_key {
    std::string private_key;
    std::string x, y;
};

// Randomness, digests, ES256 signatures and sealing. Implementations must be
// thread-safe.
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

    // ES256 for JWS (RFC 7518 §3.4): a fresh key pair; a signature of
    // `data` as the 64-byte r||s form (not DER); its check against a public
    // point. Throw infrastructure_error on a library failure (a malformed
    // key given to sign included); verify answers false for anything that
    // is not a valid signature by that key.
    virtual es256_key es256_generate() = 0;
    virtual std::string es256_sign(std::string_view private_key, std::string_view data) = 0;
    virtual bool es256_verify(std::string_view x, std::string_view y, std::string_view data,
                              std::string_view signature) = 0;
    // AES-256-GCM with a 32-byte key and a random 96-bit nonce: nonce ||
    // ciphertext || 16-byte tag, `aad` authenticated too. open() gives
    // nullopt for a wrong key, aad or any altered byte.
    virtual std::string aes256gcm_seal(std::string_view key, std::string_view plaintext, std::string_view aad) = 0;
    virtual std::optional<std::string> aes256gcm_open(std::string_view key, std::string_view sealed,
                                                      std::string_view aad) = 0;
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
