#include "workers/crypto_openssl.hpp"

#include <liboath/oath.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <mutex>

#include "core/error.hpp"

namespace sesame::workers {

namespace {

constexpr unsigned totp_step_seconds = 30;
constexpr unsigned code_digits = 6;

void init_oath_once() {
    static std::once_flag once;
    static int rc = OATH_OK;
    std::call_once(once, [] { rc = oath_init(); });
    if (rc != OATH_OK) throw infrastructure_error("oath_init failed");
}

bool is_six_digits(std::string_view code) {
    if (code.size() != code_digits) return false;
    for (char c : code)
        if (c < '0' || c > '9') return false;
    return true;
}

// strcmp-like callback for liboath: 0 only on a match, compared in constant time.
int constant_time_otp_compare(void* handle, const char* test_otp) {
    const auto* expected = static_cast<const std::string_view*>(handle);
    return constant_time_equal(*expected, std::string_view(test_otp)) ? 0 : 1;
}

}  // namespace

crypto_openssl::crypto_openssl() { init_oath_once(); }

std::string crypto_openssl::random_bytes(std::size_t n) {
    std::string out(n, '\0');
    std::size_t done = 0;
    while (done < n) {
        const int chunk = static_cast<int>(std::min<std::size_t>(n - done, INT_MAX));
        if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done), chunk) != 1)
            throw infrastructure_error("RAND_bytes failed");
        done += static_cast<std::size_t>(chunk);
    }
    return out;
}

std::string crypto_openssl::sha256(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1 || len != 32)
        throw infrastructure_error("EVP_Digest(sha256) failed");
    return std::string(reinterpret_cast<const char*>(md), len);
}

std::string crypto_openssl::hmac_sha256(std::string_view key, std::string_view data) {
    if (key.size() > static_cast<std::size_t>(INT_MAX)) throw infrastructure_error("hmac key too long");
    static const unsigned char empty = 0;  // OpenSSL wants a non-null key pointer
    const auto* key_ptr = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
    const auto* data_ptr = data.empty() ? &empty : reinterpret_cast<const unsigned char*>(data.data());
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), data_ptr, data.size(), md, &len) == nullptr ||
        len != 32)
        throw infrastructure_error("HMAC(sha256) failed");
    return std::string(reinterpret_cast<const char*>(md), len);
}

std::string crypto_openssl::hotp6(std::string_view secret, std::uint64_t counter) {
    char out[code_digits + 1] = {};
    const int rc = oath_hotp_generate(secret.data(), secret.size(), counter, code_digits, false,
                                      OATH_HOTP_DYNAMIC_TRUNCATION, out);
    if (rc != OATH_OK) throw infrastructure_error("oath_hotp_generate failed");
    return std::string(out, code_digits);
}

std::optional<std::uint64_t> crypto_openssl::totp_match(std::string_view secret, std::string_view code,
                                                        std::int64_t unix_seconds, int window) {
    if (window < 0 || unix_seconds < 0 || !is_six_digits(code)) return std::nullopt;
    int position = 0;
    std::uint64_t step = 0;
    const int rc = oath_totp_validate4_callback(secret.data(), secret.size(), static_cast<time_t>(unix_seconds),
                                                totp_step_seconds, 0, code_digits, static_cast<std::size_t>(window),
                                                &position, &step, 0, &constant_time_otp_compare, &code);
    if (rc >= 0) return step;
    if (rc == OATH_INVALID_OTP) return std::nullopt;
    throw infrastructure_error("oath_totp_validate failed");
}

}  // namespace sesame::workers
