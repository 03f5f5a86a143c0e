// dkim: RFC 6376 canonicalisation examples and known body hash; a signature
// checked by the test's own verifier (OpenSSL EVP_DigestVerify with the
// public half of a key generated here), a tampered message refused; bad keys.
#include <boost/test/unit_test.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "workers/dkim.hpp"

namespace {

namespace wdkim = sesame::workers::dkim;
using sesame::workers::dkim_options;

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string to_pem(EVP_PKEY* key, bool private_part) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    BOOST_REQUIRE(bio);
    const int ok = private_part ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                                : PEM_write_bio_PUBKEY(bio.get(), key);
    BOOST_REQUIRE(ok == 1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

// One RSA key for the whole suite (generation takes a moment).
EVP_PKEY* test_key() {
    static pkey_ptr key(EVP_RSA_gen(2048), &EVP_PKEY_free);
    BOOST_REQUIRE(key);
    return key.get();
}

std::string b64_decode(const std::string& in) {
    std::string clean;
    for (char c : in)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') clean += c;
    std::string out(clean.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
    BOOST_REQUIRE(n >= 0);
    std::size_t len = static_cast<std::size_t>(n);
    if (!clean.empty() && clean.back() == '=') --len;
    if (clean.size() > 1 && clean[clean.size() - 2] == '=') --len;
    out.resize(len);
    return out;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    const auto e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// tag=value pairs of a DKIM-Signature value.
std::map<std::string, std::string> tags(const std::string& value) {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos < value.size()) {
        auto semi = value.find(';', pos);
        if (semi == std::string::npos) semi = value.size();
        const std::string item = value.substr(pos, semi - pos);
        const auto eq = item.find('=');
        if (eq != std::string::npos) out[trim(item.substr(0, eq))] = trim(item.substr(eq + 1));
        pos = semi + 1;
    }
    return out;
}

const std::string message =
    "Date: Wed, 25 Nov 2026 18:02:11 +0000\r\n"
    "From: =?UTF-8?B?U8Opc2FtZQ==?= <no-reply@example.fr>\r\n"
    "To: lucas.dupont@example.fr\r\n"
    "Subject: =?UTF-8?B?U8Opc2FtZSA6IHLDqWluaXRpYWxpc2F0aW9u?=\r\n"
    " =?UTF-8?B?IGRlIHZvdHJlIG1vdCBkZSBwYXNzZQ==?=\r\n"
    "Message-ID: <0123456789abcdef0123456789abcdef@example.fr>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "X-Sesame-Reference: R-7K3F-92QX\r\n"
    "\r\n"
    "Bonjour,  votre code :\t482913 \r\n"
    "\r\n"
    "R=C3=A9f=C3=A9rence\r\n"
    "\r\n"
    "\r\n";

// Verifies `signed_message` (DKIM-Signature first) the way a receiver does:
// bh against the body, b against the h= headers and the signature header
// with its b= emptied. Returns false on a bad body hash or signature.
bool verify(const std::string& signed_message, EVP_PKEY* pub) {
    // The signature field runs until the first line that does not start with WSP.
    std::size_t field_end = 0;
    for (std::size_t pos = 0;;) {
        const auto eol = signed_message.find("\r\n", pos);
        BOOST_REQUIRE(eol != std::string::npos);
        pos = eol + 2;
        if (signed_message[pos] != ' ' && signed_message[pos] != '\t') {
            field_end = eol;
            break;
        }
    }
    const std::string sig_field = signed_message.substr(0, field_end);
    const std::string rest = signed_message.substr(field_end + 2);
    BOOST_REQUIRE(sig_field.rfind("DKIM-Signature:", 0) == 0);
    const std::string value = sig_field.substr(15);
    auto t = tags(value);
    if (t["v"] != "1" || t["a"] != "rsa-sha256" || t["c"] != "relaxed/relaxed") return false;

    const auto body_at = rest.find("\r\n\r\n");
    BOOST_REQUIRE(body_at != std::string::npos);
    if (wdkim::body_hash(rest.substr(body_at + 4)) != t["bh"]) return false;

    // Headers named in h=, each the last instance (they are unique here).
    std::map<std::string, std::string> fields;  // lower-case name -> raw value
    std::string last;
    std::size_t pos = 0;
    const std::string head = rest.substr(0, body_at + 2);
    while (pos < head.size()) {
        const auto eol = head.find("\r\n", pos);
        const std::string line = head.substr(pos, eol - pos);
        pos = eol + 2;
        if (line[0] == ' ' || line[0] == '\t') {
            fields[last] += "\r\n" + line;
            continue;
        }
        const auto colon = line.find(':');
        last.clear();
        for (char c : line.substr(0, colon)) last += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        fields[last] = line.substr(colon + 1);
    }
    std::string data;
    std::size_t hp = 0;
    const std::string h = t["h"];
    while (hp <= h.size()) {
        auto colon = h.find(':', hp);
        if (colon == std::string::npos) colon = h.size();
        const std::string name = h.substr(hp, colon - hp);
        if (fields.count(name)) data += wdkim::relaxed_header(name, fields[name]) + "\r\n";
        hp = colon + 1;
    }
    // The signature header with b= emptied (the value after "b=" up to the end).
    const auto b_at = value.rfind("b=");
    data += wdkim::relaxed_header("DKIM-Signature", value.substr(0, b_at + 2));
    const std::string sig = b64_decode(t["b"]);

    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    BOOST_REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pub) == 1);
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

pkey_ptr public_only(EVP_PKEY* key) {
    const std::string pem = to_pem(key, false);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    pkey_ptr pub(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
    BOOST_REQUIRE(pub);
    return pub;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dkim)

BOOST_AUTO_TEST_CASE(empty_body_hash_is_the_rfc_value) {
    // RFC 6376 §3.4.4 (relaxed): an empty body canonicalises to nothing.
    BOOST_TEST(wdkim::relaxed_body("") == "");
    BOOST_TEST(wdkim::body_hash("") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    BOOST_TEST(wdkim::body_hash("\r\n\r\n \t\r\n") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    BOOST_TEST(wdkim::body_hash("x\r\n") != "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

BOOST_AUTO_TEST_CASE(relaxed_body_examples) {
    // RFC 6376 §3.4.5 example.
    BOOST_TEST(wdkim::relaxed_body(" C \r\nD \t E\r\n\r\n\r\n") == " C\r\nD E\r\n");
    BOOST_TEST(wdkim::relaxed_body("no final line break") == "no final line break\r\n");
    BOOST_TEST(wdkim::relaxed_body("a\r\n\r\nb\r\n") == "a\r\n\r\nb\r\n");  // inner empty lines stay
    BOOST_TEST(wdkim::relaxed_body("lf only\n\n") == "lf only\r\n");
}

BOOST_AUTO_TEST_CASE(relaxed_header_examples) {
    // RFC 6376 §3.4.5: "A: X" and "B : Y\t\r\n\tZ  " become "a:X" and "b:Y Z".
    BOOST_TEST(wdkim::relaxed_header("A", " X") == "a:X");
    BOOST_TEST(wdkim::relaxed_header("B ", " Y\t\r\n\tZ  ") == "b:Y Z");
    BOOST_TEST(wdkim::relaxed_header("Subject", "  deux   espaces\t et\r\n une  suite ") ==
               "subject:deux espaces et une suite");
    BOOST_TEST(wdkim::relaxed_header("Message-ID", "<a@b>") == "message-id:<a@b>");
}

BOOST_AUTO_TEST_CASE(signature_verifies_with_the_public_key) {
    const wdkim::signer s(dkim_options{"example.fr", "s1", to_pem(test_key(), true)});
    const std::string header = s.sign(message, 1795629731);
    BOOST_TEST(header.rfind("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.fr; s=s1;", 0) == 0);
    BOOST_TEST(header.size() > 2u);
    BOOST_TEST(header.substr(header.size() - 2) == "\r\n");
    for (std::size_t pos = 0; pos < header.size();) {  // folded: no line over 78
        const auto eol = header.find("\r\n", pos);
        BOOST_TEST(eol - pos <= 78u);
        pos = eol + 2;
    }
    auto t = tags(header.substr(15));
    BOOST_TEST(t["t"] == "1795629731");
    BOOST_TEST(t["d"] == "example.fr");
    BOOST_TEST(t["h"] == "from:to:subject:date:message-id:mime-version:content-type");
    BOOST_TEST(t["bh"] == wdkim::body_hash("Bonjour,  votre code :\t482913 \r\n\r\nR=C3=A9f=C3=A9rence\r\n"));

    auto pub = public_only(test_key());
    BOOST_TEST(verify(header + message, pub.get()));
}

BOOST_AUTO_TEST_CASE(tampering_breaks_the_signature) {
    const wdkim::signer s(dkim_options{"example.fr", "s1", to_pem(test_key(), true)});
    const std::string signed_message = s.sign(message, 1795629731) + message;
    auto pub = public_only(test_key());
    BOOST_REQUIRE(verify(signed_message, pub.get()));

    std::string other_subject = signed_message;
    other_subject.replace(other_subject.find("IHLDqWluaXRp"), 12, "IHLDqWluaXRq");
    BOOST_TEST(!verify(other_subject, pub.get()));

    std::string other_body = signed_message;
    other_body.replace(other_body.find("482913"), 6, "000000");
    BOOST_TEST(!verify(other_body, pub.get()));

    // Relaxed: re-folding and extra spaces in headers and body still verify.
    std::string refolded = signed_message;
    refolded.replace(refolded.find("To: lucas"), 9, "To:   lucas");
    refolded.replace(refolded.find("Bonjour,  votre"), 15, "Bonjour,   \t votre");
    BOOST_TEST(verify(refolded, pub.get()));
}

BOOST_AUTO_TEST_CASE(only_present_headers_are_signed) {
    const wdkim::signer s(dkim_options{"example.fr", "s1", to_pem(test_key(), true)});
    const std::string minimal = "From: a@example.fr\r\nSubject: x\r\nX-Other: y\r\n\r\nbody\r\n";
    auto t = tags(s.sign(minimal, 1).substr(15));
    BOOST_TEST(t["h"] == "from:subject");
    auto pub = public_only(test_key());
    BOOST_TEST(verify(s.sign(minimal, 1) + minimal, pub.get()));
}

BOOST_AUTO_TEST_CASE(bad_keys_and_tags_are_refused) {
    BOOST_CHECK_THROW(wdkim::signer(dkim_options{"example.fr", "s1", "not a key"}), std::invalid_argument);
    BOOST_CHECK_THROW(wdkim::signer(dkim_options{"example.fr", "s1", ""}), std::invalid_argument);
    pkey_ptr ec(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    BOOST_REQUIRE(ec);
    BOOST_CHECK_THROW(wdkim::signer(dkim_options{"example.fr", "s1", to_pem(ec.get(), true)}), std::invalid_argument);
    const std::string pem = to_pem(test_key(), true);
    BOOST_CHECK_THROW(wdkim::signer(dkim_options{"example.fr; x=y", "s1", pem}), std::invalid_argument);
    BOOST_CHECK_THROW(wdkim::signer(dkim_options{"example.fr", "", pem}), std::invalid_argument);
    BOOST_CHECK_NO_THROW(wdkim::signer(dkim_options{"example.fr", "s1", pem}));
    BOOST_CHECK_THROW(wdkim::read_key_file("/nonexistent/dkim.pem"), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
