// OpenID Connect provider use cases (API.md "Single sign-on"): the
// authorization endpoint's decision, the token endpoint (code exchange with
// PKCE, refresh rotation), userinfo, RP-initiated logout, the services an
// account signed in to, signing keys, and the admins' client management.
// Synchronous and blocking (store behind ports): net runs them on the
// blocking pool. Each follows its RFC section, named where a rule is not
// obvious. Depends on core only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/account_service.hpp"
#include "core/oidc.hpp"
#include "core/ports.hpp"
#include "core/staff_service.hpp"

namespace sesame {

struct oidc_policy {
    std::string issuer;  // http.public_url, exactly
    duration access_token_ttl = std::chrono::minutes(10);  // ID and access tokens
    duration refresh_token_ttl = std::chrono::hours(720);
    duration code_ttl = std::chrono::seconds(60);
};

// ---- authorize --------------------------------------------------------------

// 400 French page, never a redirect: the client or redirect URI cannot be
// trusted (RFC 6749 §4.1.2.1, "MUST NOT automatically redirect").
struct authorize_error_page {
    std::string message;  // French
};
// Send the browser to the login page, which comes back to the
// authorization request; `auth_after` (ms since the epoch: the session
// must be opened at or after it) replaces prompt=login and max_age there.
struct authorize_login {
    std::optional<std::int64_t> auth_after;
};
struct authorize_redirect {
    std::string location;
};
using authorize_outcome = std::variant<authorize_redirect, authorize_login, authorize_error_page>;

// ---- tokens and userinfo ----------------------------------------------------

struct token_response {
    std::string access_token;
    std::string id_token;
    std::string refresh_token;  // empty without offline_access
    std::string scope;
    std::int64_t expires_in = 0;
};

struct userinfo_child {
    std::string sub, given_name, family_name, establishment, class_name;
};

// The claims a token's scopes allow (OIDC Core §5.4 and API.md); absent
// ones are not shown.
struct userinfo {
    std::string sub;
    std::optional<std::string> given_name, family_name, preferred_username;
    std::optional<std::string> email;
    std::optional<bool> email_verified;
    std::optional<std::string> user_type, establishment, academie, class_name;
    std::optional<std::vector<userinfo_child>> children;
};

// ---- logout ----------------------------------------------------------------

struct logout_request {
    std::optional<std::string> id_token_hint, post_logout_redirect_uri, state, client_id;
    std::string session_token;  // the sesame_session cookie, or empty
    bool confirmed = false;     // the user pressed the button of the confirmation page (POST)
    client_info client;
};

struct logout_outcome {
    enum kind_t {
        redirect,      // to `location` (a registered post-logout URI)
        done,          // French page: logged out
        confirm,       // French page asking to confirm (no valid id_token_hint)
        error_page,    // 400 French page: the hint or client is not valid
    } kind = done;
    std::string location;
    std::string message;  // French, for done and error_page
    bool session_ended = false;
};

// ---- services and clients ---------------------------------------------------

struct service_view {
    std::string client_id, name;
    timestamp last_signed_in_at{};
    bool active = false;  // a grant still alive
};

struct client_registration {
    std::string name;
    std::vector<std::string> redirect_uris;
    std::vector<std::string> post_logout_redirect_uris;
    bool is_public = false;
};

struct registered_client {
    oidc_client client;
    std::string secret;  // shown once; empty for a public client
};

// A new client from a registration: 400-style refusal naming the field
// (`name`, `redirect_uris`, `post_logout_redirect_uris`) with a French
// message, else the client and its secret. Shared by the CLI and the admin
// route.
std::variant<registered_client, domain_error> make_client(const client_registration& r, crypto& c, timestamp now);

// Makes a new current signing key and retires the others, which then live
// `token_ttl` more (their last tokens expire by then). Returns its kid.
std::string rotate_signing_keys(oidc_repository& repo, crypto& c, std::string_view server_secret, duration token_ttl,
                                timestamp now);

class oidc_service {
public:
    oidc_service(account_ports ports, oidc_repository& repo, crypto& c, jwt_codec& jwt, std::string server_secret,
                 oidc_policy policy);

    // Reads the signing keys (making the first one on a new store, synced)
    // and unseals the current one. Call once before serving; throws
    // infrastructure_error when a key does not unseal (another secret).
    void load_keys(timestamp now);
    // The public keys to publish at `now` (retired ones until they expire).
    std::vector<jwk> jwks(timestamp now) const;

    // GET /oidc/authorize. `who`: the request's session, or nullptr.
    authorize_outcome authorize(const authorization_request& r, const authenticated* who, timestamp now);

    // POST /oidc/token (grant_type authorization_code or refresh_token).
    oauth_result<token_response> token(const token_request& r, timestamp now);

    // GET/POST /oidc/userinfo with a Bearer access token.
    oauth_result<userinfo> user_info(std::string_view access_token, timestamp now);

    // GET/POST /oidc/logout (OpenID Connect RP-Initiated Logout 1.0).
    logout_outcome logout(const logout_request& r, timestamp now);

    // GET /api/v1/me/services: the clients this account signed in to, newest first.
    std::vector<service_view> services(const authenticated& who, timestamp now);

    // Admin routes: admins only (403 otherwise), every call audited
    // (oidc_client.create, oidc_client.list, oidc_client.delete).
    result<registered_client> create_client(const staff_caller& who, const client_registration& r, timestamp now);
    result<std::vector<oidc_client>> list_clients(const staff_caller& who, timestamp now);
    status delete_client(const staff_caller& who, std::string_view client_id, timestamp now);

    const oidc_policy& policy() const { return policy_; }

private:
    struct ring_key {
        jwk pub;
        std::optional<timestamp> expires_at;
    };

    oauth_result<oidc_client> authenticate_client(const token_request& r);
    oauth_result<token_response> exchange_code(const oidc_client& client, const token_request& r, timestamp now);
    oauth_result<token_response> refresh(const oidc_client& client, const token_request& r, timestamp now);
    token_response issue(const oidc_grant& g, const std::string& nonce, const scope_set& scope, changes& out,
                         timestamp now);
    void revoke_grant(const std::string& grant_id, timestamp now);
    std::optional<token_claims> verified(std::string_view token, timestamp now);
    audit_entry audit_line(const staff_caller& who, const char* action, std::string target, std::string detail,
                           timestamp now) const;
    std::optional<domain_error> refuse_unless_admin(const staff_caller& who, const char* action, std::string target,
                                                    timestamp now);

    account_ports ports_;
    oidc_repository& repo_;
    crypto& crypto_;
    jwt_codec& jwt_;
    std::string secret_;
    oidc_policy policy_;
    std::vector<ring_key> ring_;
    std::string current_kid_;
    std::string current_private_;
};

}  // namespace sesame
