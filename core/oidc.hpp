// OpenID Connect provider, the domain side (API.md "Single sign-on"): the
// records (clients, authorization codes, grants, refresh tokens, signing
// keys, services used), the request shapes, the OAuth 2.0 error codes, and
// the pure rules (scopes, redirect URIs, PKCE, pairwise subjects). The
// use cases live in core/oidc_service.hpp. JSON and JWS encoding are net's
// (net/jwt.hpp), behind the jwt_codec port declared here. Depends on core
// only.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/crypto.hpp"
#include "core/time.hpp"

namespace sesame {

// ---- records ---------------------------------------------------------------

// A relying party (an ENT, an online school service). Confidential clients
// hold a secret, stored only as its SHA-256 digest; public clients (apps,
// single-page services) have none and must use PKCE.
struct oidc_client {
    std::string client_id;
    std::string name;
    std::vector<std::string> redirect_uris;
    std::vector<std::string> post_logout_redirect_uris;
    bool is_public = false;
    std::string secret_digest;  // raw SHA-256 of the secret; empty for public clients
    timestamp created_at{};
};

// An authorization code (OIDC Core §3.1.2.5), stored under the SHA-256 of
// the code until code_ttl. After its first use it stays, marked with the
// grant it made, so a replay can revoke that grant (RFC 6749 §4.1.2).
struct oidc_code {
    std::string digest;  // raw SHA-256 of the code (the key)
    std::string client_id;
    std::string redirect_uri;
    std::string scope;  // normalised: known scopes, space-separated
    std::string nonce;
    std::string code_challenge;  // S256, or empty
    std::string identifier;
    std::string session_digest;  // the Sésame session it came from
    timestamp auth_time{};       // that session's login
    timestamp created_at{};
    timestamp expires_at{};
    std::string used_by_grant;  // empty until exchanged
};

// One authorization of one client by one session: what its tokens stand
// for. Access tokens name it (`sid`); refresh tokens belong to it (it is
// their family). Deleting it revokes every token it issued. Indexed by
// session (deleted with it) and by account (GET /me/services, and every
// grant of an account ended at once).
struct oidc_grant {
    std::string id;
    std::string client_id;
    std::string identifier;
    std::string session_digest;
    std::string scope;
    timestamp auth_time{};
    timestamp created_at{};
    timestamp expires_at{};  // the last token it may still honour
};

// A refresh token (RFC 6749 §6), stored under its SHA-256. A rotated one is
// kept until its expiry: presented again, it reveals a stolen copy and the
// whole family (its grant) is revoked.
struct oidc_refresh {
    std::string digest;
    std::string grant_id;
    timestamp issued_at{};
    timestamp expires_at{};
    bool rotated = false;
};

// An ES256 signing key. The private key (PKCS#8 DER) is stored sealed with
// AES-256-GCM under a key derived from the server secret; a retired key
// stays (public part in the JWKS) until every token it signed has expired.
struct oidc_signing_key {
    std::string kid;
    std::string x, y;            // P-256 public point, 32 bytes each
    std::string sealed_private;  // aes256gcm_seal output
    timestamp created_at{};
    std::optional<timestamp> retired_at;
    std::optional<timestamp> expires_at;  // set when retired
};

// The last time an account signed in to a client (GET /api/v1/me/services).
struct oidc_service_use {
    std::string identifier;
    std::string client_id;
    timestamp last_at{};
};

// What one use case writes about OIDC, inside core's `changes` (one batch).
struct oidc_changes {
    std::vector<oidc_client> clients_put;
    std::vector<std::string> clients_deleted;  // client ids
    std::vector<oidc_code> codes_put;
    std::vector<oidc_grant> grants_put;
    std::vector<oidc_grant> grants_deleted;
    std::vector<oidc_refresh> refresh_put;
    std::vector<oidc_service_use> services_put;
    // Every grant of the account (identifier) except those of the session
    // whose digest is given (empty: keep none): ended with the sessions of
    // "log out everywhere", a password change or reset, an activation code.
    std::vector<std::pair<std::string, std::string>> grants_of_account_ended;

    bool empty() const {
        return clients_put.empty() && clients_deleted.empty() && codes_put.empty() && grants_put.empty() &&
               grants_deleted.empty() && refresh_put.empty() && services_put.empty() &&
               grants_of_account_ended.empty();
    }
};

// The store as the OIDC use cases see it. Reads hide expired records.
// Grants of a deleted session are deleted in the same batch (the store
// keeps a session -> grants index). Implementations are thread-safe.
class oidc_repository {
public:
    virtual ~oidc_repository() = default;
    virtual std::optional<oidc_client> find_client(std::string_view client_id) = 0;
    virtual std::vector<oidc_client> clients() = 0;  // by client_id
    virtual std::optional<oidc_code> find_code(std::string_view digest, timestamp now) = 0;
    virtual std::optional<oidc_grant> find_grant(std::string_view id, timestamp now) = 0;
    virtual std::vector<oidc_grant> grants_of(std::string_view identifier, timestamp now) = 0;
    virtual std::optional<oidc_refresh> find_refresh(std::string_view digest, timestamp now) = 0;
    virtual std::vector<oidc_service_use> services_of(std::string_view identifier, timestamp now) = 0;
    // Serialises single use (a code) and rotation (a grant's refresh tokens).
    virtual std::unique_lock<std::mutex> lock_grant(std::string_view key) = 0;
    // Signing keys still live at `now`, oldest first; and their replacement
    // (all of them, one synced write).
    virtual std::vector<oidc_signing_key> signing_keys(timestamp now) = 0;
    virtual void put_signing_keys(const std::vector<oidc_signing_key>& keys) = 0;
};

// ---- tokens ----------------------------------------------------------------

// The claims of the JWTs Sésame signs: ID tokens (OIDC Core §2) and access
// tokens (RFC 9068, typ "at+jwt"). Absent optional claims are not written.
struct token_claims {
    std::string typ;  // JOSE header typ: "JWT" (ID token) or "at+jwt"
    std::string iss;
    std::string sub;
    std::string aud;
    std::int64_t exp = 0;  // seconds since the epoch
    std::int64_t iat = 0;
    std::optional<std::int64_t> auth_time;
    std::string nonce;
    std::string sid;        // the grant
    std::string client_id;  // access tokens
    std::string scope;      // access tokens
    std::string jti;        // access tokens
};

// A public key of the JWKS.
struct jwk {
    std::string kid;
    std::string x, y;  // raw 32-byte coordinates
};

// Compact JWS encoding of token_claims, ES256 (RFC 7515, RFC 7518 §3.4).
// Implemented in net (net/jwt.hpp), over crypto's es256 functions.
class jwt_codec {
public:
    virtual ~jwt_codec() = default;
    virtual std::string sign(const token_claims& claims, std::string_view kid, std::string_view private_key) = 0;
    // The claims of a well-formed token whose `kid` is among `keys` and
    // whose ES256 signature verifies; nullopt otherwise. Claims (exp, iss,
    // aud) are the caller's to check.
    virtual std::optional<token_claims> verify(std::string_view token, const std::vector<jwk>& keys) = 0;
};

// ---- requests --------------------------------------------------------------

// GET /oidc/authorize (OIDC Core §3.1.2.1), as received (nullopt: absent).
struct authorization_request {
    std::optional<std::string> response_type, client_id, redirect_uri, scope, state, nonce, code_challenge,
        code_challenge_method, prompt, max_age;
    // Sésame's own parameter, set when it sends the browser to the login
    // page for prompt=login or an exceeded max_age: the session must have
    // been opened at or after this time (milliseconds since the epoch).
    std::optional<std::string> auth_after;
};

// POST /oidc/token (RFC 6749 §4.1.3, §6), form fields and client
// authentication as received.
struct token_request {
    std::optional<std::string> grant_type, code, redirect_uri, code_verifier, refresh_token, scope;
    std::optional<std::string> client_id, client_secret;  // form (client_secret_post, none)
    std::optional<std::string> basic_id, basic_secret;    // Authorization: Basic (client_secret_basic)
};

// ---- errors ----------------------------------------------------------------

// OAuth 2.0 and OpenID Connect error codes (RFC 6749 §4.1.2.1 and §5.2,
// OIDC Core §3.1.2.6, RFC 6750 §3.1).
enum class oauth_errc {
    invalid_request,
    invalid_client,
    invalid_grant,
    unauthorized_client,
    unsupported_grant_type,
    unsupported_response_type,
    invalid_scope,
    access_denied,
    login_required,
    invalid_token,
};
const char* to_string(oauth_errc e);

struct oauth_error {
    oauth_errc code;
    std::string description;  // English, as OAuth error_description (§5.2: ASCII)
};

template <class T>
using oauth_result = std::variant<T, oauth_error>;

// ---- pure rules ------------------------------------------------------------

// Scopes of API.md; unknown ones are ignored (OIDC Core §3.1.2.1).
struct scope_set {
    bool openid = false, profile = false, email = false, school = false, offline_access = false;
    bool operator==(const scope_set&) const = default;
};
scope_set parse_scope(std::string_view scope);
// Space-separated, in a fixed order ("openid profile email school offline_access").
std::string to_string(const scope_set& s);
// True when every scope of `narrower` is in `wider`.
bool scope_within(const scope_set& narrower, const scope_set& wider);

// RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~]; the same
// alphabet and lengths for a challenge (§4.2).
bool pkce_text_valid(std::string_view s);
// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))).
std::string pkce_s256(crypto& c, std::string_view verifier);

// A redirect URI a client may register: absolute http(s), a host, no
// fragment (RFC 6749 §3.1.2), no whitespace or control characters, at most
// 2000 bytes.
bool redirect_uri_acceptable(std::string_view uri);
// Exact string comparison (OIDC Core §3.1.2.1: "MUST exactly match").
bool uri_registered(const std::vector<std::string>& registered, std::string_view uri);

// The pairwise subject (OIDC Core §8.1): opaque, stable for one account at
// one client, different between clients, never the identifier:
// base64url(HMAC-SHA256(server secret, "oidc-sub" 0 client_id 0 identifier)).
std::string pairwise_sub(crypto& c, std::string_view server_secret, std::string_view client_id,
                         std::string_view identifier);

// The key that seals signing keys at rest: HMAC-SHA256(server secret,
// "sesame oidc signing key sealing v1").
std::string signing_key_sealing_key(crypto& c, std::string_view server_secret);

// `uri` with the query parameters appended (values percent-encoded, RFC
// 3986 unreserved kept), after '?' or '&' as the URI already has a query.
std::string with_query(std::string uri, const std::vector<std::pair<std::string, std::string>>& params);
// RFC 3986 percent-encoding of everything but unreserved characters.
std::string percent_encode(std::string_view s);

}  // namespace sesame
