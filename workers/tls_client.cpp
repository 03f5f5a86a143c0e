#include "workers/tls_client.hpp"

#include <boost/asio/ip/address.hpp>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace sesame::workers::tls_client {

namespace ssl = boost::asio::ssl;

ssl::context make_context(bool verify, const std::optional<std::string>& ca_file) {
    ssl::context ctx(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    if (!verify) {
        ctx.set_verify_mode(ssl::verify_none);
        return ctx;
    }
    ctx.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (ca_file)
        ctx.load_verify_file(*ca_file, ec);
    else
        ctx.set_default_verify_paths(ec);
    if (ec)
        throw std::invalid_argument("cannot load the trusted certificates" +
                                    (ca_file ? " from " + *ca_file : std::string()) + ": " + ec.message());
    return ctx;
}

bool expect_peer(SSL* ssl, const std::string& host, bool verify) {
    boost::system::error_code not_address;
    (void)boost::asio::ip::make_address(host, not_address);
    const bool is_name = static_cast<bool>(not_address);
    if (is_name && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
    if (!verify) return true;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int set = is_name ? X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0)
                            : X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    return set == 1;
}

}  // namespace sesame::workers::tls_client
