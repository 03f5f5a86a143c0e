#include "workers/dkim.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "workers/mime.hpp"

namespace sesame::workers::dkim {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string openssl_error(std::string_view what) {
    std::string s(what);
    if (const unsigned long e = ERR_get_error(); e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        s += ": ";
        s += buf;
    }
    ERR_clear_error();
    return s;
}

std::string sha256_base64(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error(openssl_error("dkim: SHA-256 failed"));
    return mime::base64(std::string_view(reinterpret_cast<const char*>(md), len));
}

// Collapses runs of spaces and tabs into one space and drops trailing ones.
std::string compress_wsp(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool in_wsp = false;
    for (char c : s) {
        if (is_wsp(c)) {
            in_wsp = true;
            continue;
        }
        if (in_wsp) out += ' ';
        in_wsp = false;
        out += c;
    }
    return out;  // trailing whitespace was never written
}

struct header_field {
    std::string_view name;
    std::string_view value;  // raw, with its folding, without the final CRLF
};

// The header fields of `message` (up to the first empty line) and the body.
std::vector<header_field> split_message(std::string_view message, std::string_view& body) {
    std::vector<header_field> fields;
    std::size_t pos = 0;
    body = {};
    while (pos < message.size()) {
        auto eol = message.find('\n', pos);
        if (eol == std::string_view::npos) eol = message.size();
        std::string_view line = message.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::size_t next = std::min(eol + 1, message.size());
        if (line.empty()) {  // end of the header block
            body = message.substr(next);
            return fields;
        }
        if (is_wsp(line.front()) && !fields.empty()) {
            // Continuation: extend the previous field's value up to this line's end.
            auto& f = fields.back();
            const char* start = f.value.data();
            f.value = std::string_view(start, static_cast<std::size_t>(line.data() + line.size() - start));
        } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
            fields.push_back({line.substr(0, colon), line.substr(colon + 1)});
        }
        pos = next;
    }
    return fields;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool is_tag_value(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f || c == ';' || c == '=') return false;
    return true;
}

}  // namespace

std::string relaxed_body(std::string_view body) {
    std::string out;
    out.reserve(body.size());
    std::size_t pending_empty = 0;  // empty lines held back: dropped if nothing follows
    std::size_t pos = 0;
    while (pos < body.size()) {
        auto eol = body.find('\n', pos);
        const bool terminated = eol != std::string_view::npos;
        if (!terminated) eol = body.size();
        std::string_view line = body.substr(pos, eol - pos);
        if (terminated && !line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::string c = compress_wsp(line);
        if (c.empty()) {
            ++pending_empty;
        } else {
            for (; pending_empty > 0; --pending_empty) out += "\r\n";
            out += c;
            out += "\r\n";
        }
        pos = eol + 1;
    }
    return out;
}

std::string relaxed_header(std::string_view name, std::string_view value) {
    std::string out;
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    for (char c : name) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += ':';
    std::string unfolded;
    unfolded.reserve(value.size());
    for (char c : value)
        if (c != '\r' && c != '\n') unfolded += c;
    std::string v = compress_wsp(unfolded);
    if (!v.empty() && v.front() == ' ') v.erase(0, 1);
    out += v;
    return out;
}

std::string body_hash(std::string_view body) { return sha256_base64(relaxed_body(body)); }

std::string read_key_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("dkim: cannot read key file " + path.string());
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error("dkim: cannot read key file " + path.string());
    return pem;
}

struct signer::key {
    EVP_PKEY* pkey = nullptr;
    ~key() { EVP_PKEY_free(pkey); }
};

signer::signer(dkim_options opts) : opts_(std::move(opts)), key_(std::make_unique<key>()) {
    if (!is_tag_value(opts_.domain)) throw std::invalid_argument("dkim: invalid domain");
    if (!is_tag_value(opts_.selector)) throw std::invalid_argument("dkim: invalid selector");
    BIO* bio = BIO_new_mem_buf(opts_.private_key_pem.data(), static_cast<int>(opts_.private_key_pem.size()));
    if (bio == nullptr) throw std::runtime_error(openssl_error("dkim: BIO_new_mem_buf"));
    key_->pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    // The PEM is not kept once parsed.
    std::fill(opts_.private_key_pem.begin(), opts_.private_key_pem.end(), '\0');
    opts_.private_key_pem.clear();
    if (key_->pkey == nullptr) throw std::invalid_argument(openssl_error("dkim: the private key does not parse"));
    if (EVP_PKEY_is_a(key_->pkey, "RSA") != 1) throw std::invalid_argument("dkim: the private key is not RSA");
}

signer::~signer() = default;
signer::signer(signer&&) noexcept = default;
signer& signer::operator=(signer&&) noexcept = default;

std::string signer::sign(std::string_view message, std::int64_t unix_time) const {
    std::string_view body;
    const auto fields = split_message(message, body);
    std::string h;
    std::string data;  // what b= signs
    for (std::string_view wanted : signed_headers) {
        // The last instance of a field is the one a verifier takes first (§5.4.2).
        for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
            std::string_view name = it->name;
            while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
            if (!iequals(name, wanted)) continue;
            if (!h.empty()) h += ':';
            h += wanted;
            data += relaxed_header(it->name, it->value);
            data += "\r\n";
            break;
        }
    }
    std::string value = " v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + opts_.domain + "; s=" + opts_.selector +
                        ";\r\n\tt=" + std::to_string(unix_time) + "; h=" + h + ";\r\n\tbh=" + body_hash(body) +
                        ";\r\n\tb=";
    data += relaxed_header("DKIM-Signature", value);  // with an empty b=, no CRLF (§3.7)

    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) throw std::runtime_error(openssl_error("dkim: EVP_MD_CTX_new"));
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> guard(ctx, &EVP_MD_CTX_free);
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) != 1)
        throw std::runtime_error(openssl_error("dkim: EVP_DigestSignInit"));
    std::size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(data.data());
    if (EVP_DigestSign(ctx, nullptr, &len, in, data.size()) != 1)
        throw std::runtime_error(openssl_error("dkim: EVP_DigestSign (size)"));
    std::vector<unsigned char> sig(len);
    if (EVP_DigestSign(ctx, sig.data(), &len, in, data.size()) != 1)
        throw std::runtime_error(openssl_error("dkim: EVP_DigestSign"));
    const std::string b = mime::base64(std::string_view(reinterpret_cast<const char*>(sig.data()), len));

    std::string out = "DKIM-Signature:" + value;
    // Folded every 72 characters; whitespace inside b= is ignored (§3.5).
    for (std::size_t i = 0; i < b.size(); i += 72) {
        if (i > 0) out += "\r\n\t ";
        out += b.substr(i, 72);
    }
    out += "\r\n";
    return out;
}

}  // namespace sesame::workers::dkim
