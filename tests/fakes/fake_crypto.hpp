// Deterministic fakes of core's crypto ports for unit tests: fake_crypto
// (counter-based "randomness", a small real SHA-256 and HMAC-SHA256, real
// HOTP, scripted TOTP) and fake_hasher (readable "$fake$cost=N$password"
// hashes that count their calls). Header-only; depends on core/crypto.hpp
// and the standard library only. Both are thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.hpp"

namespace sesame::testing {

// FIPS 180-4 SHA-256, raw 32-byte digest. Small and slow; tests only.
inline std::string sha256_digest(std::string_view data) {
    static constexpr std::uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    std::uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    auto rotr = [](std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };

    std::string msg(data);
    const std::uint64_t bit_length = std::uint64_t(data.size()) * 8;
    msg.push_back(char(0x80));
    while (msg.size() % 64 != 56) msg.push_back('\0');
    for (int shift = 56; shift >= 0; shift -= 8) msg.push_back(char((bit_length >> shift) & 0xff));

    for (std::size_t block = 0; block < msg.size(); block += 64) {
        std::uint32_t w[64];
        for (int i = 0; i < 16; ++i) {
            const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + block + 4 * i);
            w[i] = (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
        }
        for (int i = 16; i < 64; ++i) {
            const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; ++i) {
            const std::uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
            const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
    }
    std::string out;
    for (std::uint32_t word : h)
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char((word >> shift) & 0xff));
    return out;
}

// RFC 2104 HMAC over sha256_digest.
inline std::string hmac_sha256_digest(std::string_view key, std::string_view data) {
    std::string k = key.size() > 64 ? sha256_digest(key) : std::string(key);
    k.resize(64, '\0');
    std::string inner(64, '\0'), outer(64, '\0');
    for (std::size_t i = 0; i < 64; ++i) {
        inner[i] = char(k[i] ^ 0x36);
        outer[i] = char(k[i] ^ 0x5c);
    }
    return sha256_digest(outer + sha256_digest(inner + std::string(data)));
}

// Randomness from a counter (SHA-256 of "random:" + counter), so two runs
// give the same bytes and two calls never do.
class fake_crypto final : public crypto {
public:
    std::string random_bytes(std::size_t n) override {
        std::string out;
        while (out.size() < n) out += sha256_digest("random:" + std::to_string(counter_++));
        out.resize(n);
        return out;
    }
    std::string sha256(std::string_view data) override { return sha256_digest(data); }
    std::string hmac_sha256(std::string_view key, std::string_view data) override {
        return hmac_sha256_digest(key, data);
    }
    // RFC 4226 dynamic truncation of HMAC-SHA256 (deterministic, not SHA-1).
    std::string hotp6(std::string_view secret, std::uint64_t counter) override {
        std::string msg;
        for (int shift = 56; shift >= 0; shift -= 8) msg.push_back(char((counter >> shift) & 0xff));
        const std::string mac = hmac_sha256_digest(secret, msg);
        const auto* p = reinterpret_cast<const unsigned char*>(mac.data());
        const unsigned offset = p[mac.size() - 1] & 0x0f;
        const std::uint32_t bin = (std::uint32_t(p[offset] & 0x7f) << 24) | (std::uint32_t(p[offset + 1]) << 16) |
                                  (std::uint32_t(p[offset + 2]) << 8) | p[offset + 3];
        std::string code = std::to_string(bin % 1'000'000);
        return std::string(6 - code.size(), '0') + code;
    }
    // Scripted: the current step (unix seconds / 30) exactly for the codes
    // given to accept_totp().
    std::optional<std::uint64_t> totp_match(std::string_view /*secret*/, std::string_view code,
                                            std::int64_t unix_seconds, int /*window*/) override {
        std::lock_guard lock(mutex_);
        ++totp_checks_;
        if (valid_totp_.count(std::string(code)) == 0) return std::nullopt;
        return static_cast<std::uint64_t>(unix_seconds / 30);
    }

    // ES256 stand-in: the private key is 32 random bytes, x = SHA-256 of it,
    // y = SHA-256 of x; a "signature" is two HMACs keyed by x (64 bytes), so
    // verify() checks it from the public part alone. Not a signature: a
    // shape that behaves like one for use-case tests.
    es256_key es256_generate() override {
        es256_key k;
        k.private_key = random_bytes(32);
        k.x = sha256_digest(k.private_key);
        k.y = sha256_digest(k.x);
        return k;
    }
    std::string es256_sign(std::string_view private_key, std::string_view data) override {
        return fake_signature(sha256_digest(private_key), data);
    }
    bool es256_verify(std::string_view x, std::string_view y, std::string_view data,
                      std::string_view signature) override {
        return y == sha256_digest(x) && signature == fake_signature(std::string(x), data);
    }
    // AES-GCM stand-in: nonce || plaintext XOR a keystream || 16-byte HMAC tag.
    std::string aes256gcm_seal(std::string_view key, std::string_view plaintext, std::string_view aad) override {
        const std::string nonce = random_bytes(12);
        std::string body = keystream_xor(key, nonce, plaintext);
        return nonce + body + hmac_sha256_digest(key, nonce + std::string(aad) + body).substr(0, 16);
    }
    std::optional<std::string> aes256gcm_open(std::string_view key, std::string_view sealed,
                                              std::string_view aad) override {
        if (sealed.size() < 28) return std::nullopt;
        const std::string nonce(sealed.substr(0, 12));
        const std::string body(sealed.substr(12, sealed.size() - 28));
        if (hmac_sha256_digest(key, nonce + std::string(aad) + body).substr(0, 16) != sealed.substr(sealed.size() - 16))
            return std::nullopt;
        return keystream_xor(key, nonce, body);
    }

    void accept_totp(std::string code) {
        std::lock_guard lock(mutex_);
        valid_totp_.insert(std::move(code));
    }
    std::size_t totp_checks() const {
        std::lock_guard lock(mutex_);
        return totp_checks_;
    }

private:
    static std::string fake_signature(const std::string& x, std::string_view data) {
        return hmac_sha256_digest(x, data) + hmac_sha256_digest(x, "s" + std::string(data));
    }
    static std::string keystream_xor(std::string_view key, const std::string& nonce, std::string_view in) {
        std::string out(in);
        std::string stream;
        for (std::size_t i = 0; stream.size() < out.size(); ++i)
            stream += hmac_sha256_digest(key, nonce + std::to_string(i));
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = char(out[i] ^ stream[i]);
        return out;
    }

    std::atomic<std::uint64_t> counter_{0};
    mutable std::mutex mutex_;
    std::set<std::string> valid_totp_;
    std::size_t totp_checks_ = 0;
};

// hash(p) = "$fake$cost=N$" + p. verify() compares, needs_rehash() looks at
// N. Counts hash() and verify() calls and remembers the encoded strings
// verify() was given; after_verify, when set, runs after each verify()
// (to interleave another request in a race test).
class fake_hasher final : public password_hasher {
public:
    explicit fake_hasher(unsigned cost = 2) : cost_(cost) {}

    static std::string encode(unsigned cost, std::string_view password) {
        return "$fake$cost=" + std::to_string(cost) + "$" + std::string(password);
    }

    std::string hash(std::string_view password) override {
        ++hashes_;
        return encode(cost_, password);
    }
    bool verify(std::string_view encoded, std::string_view password) override {
        ++verifies_;
        {
            std::lock_guard lock(mutex_);
            verified_.emplace_back(encoded);
        }
        bool ok = false;
        if (encoded.starts_with(prefix)) {
            const auto end = encoded.find('$', prefix.size());
            ok = end != std::string_view::npos && end > prefix.size() && encoded.substr(end + 1) == password;
        }
        if (after_verify) after_verify();
        return ok;
    }
    bool needs_rehash(std::string_view encoded) override {
        return !encoded.starts_with(encode(cost_, {}));  // "$fake$cost=N$"
    }

    unsigned cost() const { return cost_; }
    std::size_t hash_calls() const { return hashes_; }
    std::size_t verify_calls() const { return verifies_; }
    // The encoded strings verify() was called with, in order.
    std::vector<std::string> verified() const {
        std::lock_guard lock(mutex_);
        return verified_;
    }
    void reset_counts() {
        hashes_ = 0;
        verifies_ = 0;
        std::lock_guard lock(mutex_);
        verified_.clear();
    }

    std::function<void()> after_verify;

private:
    static constexpr std::string_view prefix = "$fake$cost=";
    unsigned cost_;
    std::atomic<std::size_t> hashes_{0};
    std::atomic<std::size_t> verifies_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> verified_;
};

}  // namespace sesame::testing
