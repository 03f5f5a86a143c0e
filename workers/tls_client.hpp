// The client side of TLS shared by the SMTP and SMS senders: a context that
// accepts TLS 1.2 or later and checks the peer's chain (against the system
// store, or one PEM file) unless told not to; per connection, SNI and the
// host name or address the peer's certificate must carry. Depends on Asio's
// SSL part and OpenSSL.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>

#include <optional>
#include <string>

namespace sesame::workers::tls_client {

// Throws std::invalid_argument ("cannot load the trusted certificates[ from
// FILE]: why") when the trust store cannot be loaded, so a bad one fails at
// start-up.
boost::asio::ssl::context make_context(bool verify, const std::optional<std::string>& ca_file = std::nullopt);

// Before the handshake on `ssl`: SNI when `host` is a name (not an address)
// and, with `verify`, the name or address the certificate must match. False
// when OpenSSL refuses either.
bool expect_peer(SSL* ssl, const std::string& host, bool verify);

}  // namespace sesame::workers::tls_client
