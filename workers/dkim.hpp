// DKIM signing (RFC 6376): rsa-sha256, relaxed/relaxed canonicalisation.
// Sans-I/O but for read_key_file; OpenSSL 3 EVP for SHA-256 and RSA,
// workers/mime.hpp for base64.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace sesame::workers {

struct dkim_options {
    std::string domain;           // d=, e.g. "example.fr"
    std::string selector;         // s=, e.g. "s1" (DNS: s1._domainkey.example.fr)
    std::string private_key_pem;  // the RSA private key, PEM (PKCS#8 or PKCS#1)
};

namespace dkim {

// The headers signed when present, in this order (h=).
inline constexpr std::string_view signed_headers[] = {"from",         "to",           "subject",     "date",
                                                      "message-id",   "mime-version", "content-type"};

// Relaxed body canonicalisation (RFC 6376 §3.4.4): runs of spaces and tabs
// become one space, whitespace at line ends goes, empty lines at the end go,
// a non-empty body ends with CRLF; an empty body stays empty. Lines end with
// CRLF (a bare LF counts as a line end too).
std::string relaxed_body(std::string_view body);

// Relaxed header canonicalisation (§3.4.2): "name:value" with the name
// lower-cased, the value unfolded, whitespace runs made one space and
// trimmed at both ends, no space around the colon; no CRLF appended.
std::string relaxed_header(std::string_view name, std::string_view value);

// bh=: base64 SHA-256 of relaxed_body(body).
std::string body_hash(std::string_view body);

// Reads a PEM file whole; throws std::runtime_error naming the path.
std::string read_key_file(const std::filesystem::path& path);

// Holds the parsed key; sign() is const and may run on several threads.
class signer {
public:
    // Parses the PEM key (RSA only). Throws std::invalid_argument on an
    // empty domain or selector, a key that does not parse or is not RSA.
    explicit signer(dkim_options opts);
    ~signer();
    signer(signer&&) noexcept;
    signer& operator=(signer&&) noexcept;

    // The "DKIM-Signature: ...\r\n" header field (folded, CRLF-terminated) to
    // prepend to `message` (headers, empty line, body; CRLF line ends, not
    // dot-stuffed): v=1; a=rsa-sha256; c=relaxed/relaxed; d; s; t=unix_time;
    // h= the signed_headers present; bh; b. Throws std::runtime_error when
    // OpenSSL fails.
    std::string sign(std::string_view message, std::int64_t unix_time) const;

    const dkim_options& options() const { return opts_; }

private:
    struct key;
    dkim_options opts_;
    std::unique_ptr<key> key_;
};

}  // namespace dkim
}  // namespace sesame::workers
