#include "workers/crypto_openssl.hpp"

#include <liboath/oath.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <map>
#include <memory>
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

// ---- ES256 and AES-256-GCM -----------------------------------------------------

namespace sesame::workers {

namespace {

struct pkey_free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct md_ctx_free {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct cipher_ctx_free {
    void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct ecdsa_sig_free {
    void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct pkcs8_free {
    void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
using pkey_ptr = std::shared_ptr<EVP_PKEY>;

constexpr std::size_t coordinate_bytes = 32;
constexpr std::size_t gcm_nonce_bytes = 12;
constexpr std::size_t gcm_tag_bytes = 16;
constexpr std::size_t key_cache_limit = 64;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Parsed keys by their encoding (private DER, or x||y), shared by threads.
// EVP_PKEY objects are safe to use from several threads at once once built.
class key_cache {
public:
    template <class Make>
    pkey_ptr get(const std::string& encoded, const Make& make) {
        {
            std::lock_guard lock(mutex_);
            if (auto it = keys_.find(encoded); it != keys_.end()) return it->second;
        }
        pkey_ptr made(make(), pkey_free{});
        if (!made) return nullptr;
        std::lock_guard lock(mutex_);
        if (keys_.size() >= key_cache_limit) keys_.clear();
        keys_.emplace(encoded, made);
        return made;
    }

private:
    std::mutex mutex_;
    std::map<std::string, pkey_ptr, std::less<>> keys_;
};

key_cache& private_keys() {
    static key_cache c;
    return c;
}
key_cache& public_keys() {
    static key_cache c;
    return c;
}

EVP_PKEY* public_key_from_point(const std::string& point) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("prime256v1"), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<char*>(point.data()), point.size()),
        OSSL_PARAM_construct_end()};
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr),
                                                                     &EVP_PKEY_CTX_free);
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        return nullptr;
    return key;
}

}  // namespace

es256_key crypto_openssl::es256_generate() {
    std::unique_ptr<EVP_PKEY, pkey_free> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) throw infrastructure_error("EVP_PKEY_Q_keygen(P-256) failed");
    unsigned char point[1 + 2 * coordinate_bytes];
    std::size_t point_len = 0;
    if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &point_len) != 1 ||
        point_len != sizeof point || point[0] != 0x04)
        throw infrastructure_error("P-256 public point export failed");
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, pkcs8_free> p8(EVP_PKEY2PKCS8(key.get()));
    unsigned char* der = nullptr;
    const int der_len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &der) : -1;
    if (der_len <= 0) throw infrastructure_error("PKCS#8 export failed");
    es256_key out;
    out.private_key.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(der_len));
    OPENSSL_clear_free(der, static_cast<std::size_t>(der_len));
    out.x.assign(reinterpret_cast<const char*>(point + 1), coordinate_bytes);
    out.y.assign(reinterpret_cast<const char*>(point + 1 + coordinate_bytes), coordinate_bytes);
    return out;
}

std::string crypto_openssl::es256_sign(std::string_view private_key, std::string_view data) {
    const std::string encoded(private_key);
    pkey_ptr key = private_keys().get(encoded, [&] {
        const unsigned char* p = bytes(encoded);
        return d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(encoded.size()));
    });
    if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) throw infrastructure_error("es256: bad private key");
    // One signing context per thread and key, initialised once: OpenSSL 3
    // fetches algorithms on every init, which costs more than the signature.
    struct signer {
        pkey_ptr key;
        std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx{nullptr, &EVP_PKEY_CTX_free};
    };
    thread_local signer tl;
    if (tl.key != key) {
        tl.ctx.reset(EVP_PKEY_CTX_new(key.get(), nullptr));
        if (!tl.ctx || EVP_PKEY_sign_init(tl.ctx.get()) != 1) {
            tl.ctx.reset();
            tl.key.reset();
            throw infrastructure_error("es256: signing setup failed");
        }
        tl.key = key;
    }
    const std::string digest = sha256(data);
    unsigned char der[80];
    std::size_t der_len = sizeof der;
    if (EVP_PKEY_sign(tl.ctx.get(), der, &der_len, bytes(digest), digest.size()) != 1)
        throw infrastructure_error("es256: signing failed");
    const unsigned char* p = der;
    std::unique_ptr<ECDSA_SIG, ecdsa_sig_free> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
    if (!sig) throw infrastructure_error("es256: malformed signature");
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    unsigned char raw[2 * coordinate_bytes];
    if (BN_bn2binpad(r, raw, coordinate_bytes) != coordinate_bytes ||
        BN_bn2binpad(s, raw + coordinate_bytes, coordinate_bytes) != coordinate_bytes)
        throw infrastructure_error("es256: signature conversion failed");
    return std::string(reinterpret_cast<const char*>(raw), sizeof raw);
}

bool crypto_openssl::es256_verify(std::string_view x, std::string_view y, std::string_view data,
                                  std::string_view signature) {
    if (x.size() != coordinate_bytes || y.size() != coordinate_bytes || signature.size() != 2 * coordinate_bytes)
        return false;
    std::string point = "\x04";
    point.append(x);
    point.append(y);
    pkey_ptr key = public_keys().get(point, [&] { return public_key_from_point(point); });
    if (!key) return false;
    // RFC 7518 §3.4: r and s as 32-byte big-endian integers, back to DER.
    std::unique_ptr<ECDSA_SIG, ecdsa_sig_free> sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(bytes(signature), coordinate_bytes, nullptr);
    BIGNUM* s = BN_bin2bn(bytes(signature) + coordinate_bytes, coordinate_bytes, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        throw infrastructure_error("es256: out of memory");
    }
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_len <= 0) throw infrastructure_error("es256: signature conversion failed");
    std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(der, [](unsigned char* q) { OPENSSL_free(q); });
    std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1)
        throw infrastructure_error("es256: verification setup failed");
    const int rc = EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len), bytes(data), data.size());
    ERR_clear_error();
    return rc == 1;
}

std::string crypto_openssl::aes256gcm_seal(std::string_view key, std::string_view plaintext, std::string_view aad) {
    if (key.size() != 32) throw infrastructure_error("aes256gcm: the key must be 32 bytes");
    std::string out = random_bytes(gcm_nonce_bytes);
    out.resize(gcm_nonce_bytes + plaintext.size() + gcm_tag_bytes);
    auto* ct = reinterpret_cast<unsigned char*>(out.data() + gcm_nonce_bytes);
    std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free> ctx(EVP_CIPHER_CTX_new());
    int len = 0, fin = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(out)) != 1 ||
        (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1) ||
        EVP_EncryptUpdate(ctx.get(), ct, &len, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), ct + len, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, gcm_tag_bytes, ct + plaintext.size()) != 1)
        throw infrastructure_error("aes256gcm: sealing failed");
    return out;
}

std::optional<std::string> crypto_openssl::aes256gcm_open(std::string_view key, std::string_view sealed,
                                                          std::string_view aad) {
    if (key.size() != 32 || sealed.size() < gcm_nonce_bytes + gcm_tag_bytes) return std::nullopt;
    const std::string_view ct = sealed.substr(gcm_nonce_bytes, sealed.size() - gcm_nonce_bytes - gcm_tag_bytes);
    std::string tag(sealed.substr(sealed.size() - gcm_tag_bytes));
    std::string out(ct.size(), '\0');
    std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free> ctx(EVP_CIPHER_CTX_new());
    int len = 0, fin = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(sealed)) != 1 ||
        (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1) ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, bytes(ct),
                          static_cast<int>(ct.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, gcm_tag_bytes, tag.data()) != 1)
        throw infrastructure_error("aes256gcm: opening setup failed");
    if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &fin) != 1) {
        ERR_clear_error();
        return std::nullopt;  // wrong key, aad, or altered bytes
    }
    return out;
}

}  // namespace sesame::workers
