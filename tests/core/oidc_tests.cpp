// The OpenID Connect provider's rules (core/oidc.hpp) and use cases
// (core/oidc_service.hpp) over the in-memory ports, the crypto fakes, a fake
// JWT codec and explicit time: PKCE (RFC 7636 appendix B), single-use codes
// and their replay, refresh rotation and reuse, expiry, the end of a
// session, authorization errors, claims per scope, admin-only clients.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "core/account_import.hpp"
#include "core/oidc_service.hpp"
#include "tests/fakes/fake_crypto.hpp"
#include "tests/fakes/fake_jwt.hpp"
#include "tests/fakes/memory_ports.hpp"

using namespace sesame;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);  // 2026-11-25T18:02:11Z
const std::string issuer = "https://sesame.example.fr";
const std::string ent_uri = "https://ent.example.fr/cb";
const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct oidc_fixture {
    testing::memory_ports store;
    testing::fake_crypto crypto;
    testing::fake_jwt jwt;
    std::unique_ptr<oidc_service> oidc;
    registered_client ent;
    registered_client app;
    authenticated parent;

    oidc_fixture() {
        oidc = std::make_unique<oidc_service>(store.ports(), store, crypto, jwt, "server-secret",
                                              oidc_policy{issuer, 10min, 720h, 60s});
        oidc->load_keys(t0);
        ent = std::get<registered_client>(make_client({"ENT", {ent_uri}, {"https://ent.example.fr/bye"}, false}, crypto, t0));
        app = std::get<registered_client>(make_client({"Notes", {"https://notes.example.fr/cb"}, {}, true}, crypto, t0));
        changes c;
        c.oidc.clients_put = {ent.client, app.client};
        store.apply(c);
        const account child = add("Lucas", "Dupont", profile::eleve, "EL1", {});
        parent.acc = add("Marie", "Dupont", profile::parent, "P1", {"EL1"});
        parent.session = open_session(parent.acc, t0 - 5min);
        (void)child;
    }

    account add(const std::string& first, const std::string& last, profile p, const std::string& external,
                std::vector<std::string> children) {
        account_row row;
        row.prof = p;
        row.external_id = external;
        row.first_name = first;
        row.last_name = last;
        row.establishment = "0931234X";
        row.class_name = p == profile::eleve ? "4e B" : "";
        row.children = std::move(children);
        account a = make_account(row, [&](std::string_view id) { return store.identifier_exists(id); }, crypto,
                                 t0 - 24h)
                        .acc;
        a.status = account_status::active;
        a.must_change_password = false;
        changes c;
        c.accounts.push_back(a);
        store.apply(c);
        return a;
    }

    session_record open_session(const account& a, timestamp at) {
        session_record s;
        s.digest = crypto.sha256(crypto.random_bytes(16));
        s.identifier = a.identifier;
        s.created_at = s.last_seen_at = at;
        s.absolute_expires_at = at + 12h;
        changes c;
        c.sessions_put.push_back(s);
        store.apply(c);
        return s;
    }

    authorization_request request(const registered_client& c, std::string scope = "openid profile school") {
        authorization_request r;
        r.response_type = "code";
        r.client_id = c.client.client_id;
        r.redirect_uri = c.client.redirect_uris.front();
        r.scope = std::move(scope);
        r.state = "st&te";
        r.nonce = "n-0S6";
        r.code_challenge = challenge;
        r.code_challenge_method = "S256";
        return r;
    }

    // The value of `name` in a redirect's query (percent-decoded by hand:
    // the values used here are unreserved).
    static std::string param(const std::string& location, const std::string& name) {
        const auto q = location.find('?');
        std::string rest = location.substr(q + 1);
        while (!rest.empty()) {
            const auto amp = rest.find('&');
            const std::string pair = rest.substr(0, amp);
            if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
            if (amp == std::string::npos) break;
            rest = rest.substr(amp + 1);
        }
        return {};
    }

    std::string code_for(const registered_client& c, timestamp at, std::string scope = "openid profile school") {
        auto out = oidc->authorize(request(c, std::move(scope)), &parent, at);
        const auto* r = std::get_if<authorize_redirect>(&out);
        BOOST_REQUIRE(r);
        return param(r->location, "code");
    }

    token_request exchange(const registered_client& c, const std::string& code) {
        token_request t;
        t.grant_type = "authorization_code";
        t.code = code;
        t.redirect_uri = c.client.redirect_uris.front();
        t.code_verifier = verifier;
        t.basic_id = c.client.client_id;
        if (!c.secret.empty()) t.basic_secret = c.secret;
        return t;
    }

    token_request refresh(const std::string& refresh_token) {
        token_request t;
        t.grant_type = "refresh_token";
        t.refresh_token = refresh_token;
        t.client_id = ent.client.client_id;
        t.client_secret = ent.secret;
        return t;
    }
};

template <class T>
std::string error_of(const oauth_result<T>& r) {
    const auto* e = std::get_if<oauth_error>(&r);
    return e ? to_string(e->code) : "ok";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oidc)

BOOST_AUTO_TEST_CASE(pkce_s256_rfc7636_appendix_b) {
    testing::fake_crypto c;  // a real SHA-256
    BOOST_TEST(pkce_s256(c, verifier) == challenge);
    BOOST_TEST(pkce_text_valid(verifier));
    BOOST_TEST(!pkce_text_valid(verifier.substr(0, 42)));         // §4.1: 43 characters at least
    BOOST_TEST(!pkce_text_valid(std::string(129, 'a')));          // 128 at most
    BOOST_TEST(!pkce_text_valid(verifier.substr(0, 42) + "+"));   // unreserved characters only
}

BOOST_AUTO_TEST_CASE(scopes_redirect_uris_and_queries) {
    const scope_set s = parse_scope("openid  school unknown email");
    BOOST_TEST(s.openid);
    BOOST_TEST(s.school);
    BOOST_TEST(s.email);
    BOOST_TEST(!s.profile);
    BOOST_TEST(to_string(s) == "openid email school");
    BOOST_TEST(!parse_scope("OpenID").openid);  // case-sensitive (RFC 6749 §3.3)
    BOOST_TEST(redirect_uri_acceptable("https://ent.example.fr/cb?x=1"));
    BOOST_TEST(redirect_uri_acceptable("http://127.0.0.1:8000/cb"));
    BOOST_TEST(!redirect_uri_acceptable("https://ent.example.fr/cb#frag"));  // §3.1.2: no fragment
    BOOST_TEST(!redirect_uri_acceptable("javascript:alert(1)"));
    BOOST_TEST(!redirect_uri_acceptable("https://user@evil.example/"));
    BOOST_TEST(!redirect_uri_acceptable("https:///nohost"));
    BOOST_TEST(with_query("https://a.fr/cb", {{"code", "x y"}, {"state", "é&"}}) ==
               "https://a.fr/cb?code=x%20y&state=%C3%A9%26");
    BOOST_TEST(with_query("https://a.fr/cb?k=v", {{"code", "c"}}) == "https://a.fr/cb?k=v&code=c");
}

BOOST_FIXTURE_TEST_CASE(pairwise_sub_is_stable_per_client_and_opaque, oidc_fixture) {
    const std::string a = pairwise_sub(crypto, "server-secret", ent.client.client_id, parent.acc.identifier);
    BOOST_TEST(a == pairwise_sub(crypto, "server-secret", ent.client.client_id, parent.acc.identifier));
    BOOST_TEST(a != pairwise_sub(crypto, "server-secret", app.client.client_id, parent.acc.identifier));
    BOOST_TEST(a.find(parent.acc.identifier) == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(code_flow_issues_signed_tokens_with_the_nonce, oidc_fixture) {
    auto out = oidc->authorize(request(ent), &parent, t0);
    const auto* r = std::get_if<authorize_redirect>(&out);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->location.rfind(ent_uri + "?code=", 0) == 0u);
    BOOST_TEST(param(r->location, "state") == "st%26te");  // round trip, encoded
    BOOST_TEST(param(r->location, "iss") == "https%3A%2F%2Fsesame.example.fr");
    auto t = oidc->token(exchange(ent, param(r->location, "code")), t0 + 1s);
    BOOST_REQUIRE(error_of(t) == "ok");
    const auto& tokens = std::get<token_response>(t);
    BOOST_TEST(tokens.expires_in == 600);
    BOOST_TEST(tokens.refresh_token.empty());  // no offline_access
    const auto id = jwt.verify(tokens.id_token, oidc->jwks(t0));
    BOOST_REQUIRE(id.has_value());
    BOOST_TEST(id->iss == issuer);
    BOOST_TEST(id->aud == ent.client.client_id);
    BOOST_TEST(id->nonce == "n-0S6");
    BOOST_TEST(id->exp == id->iat + 600);
    BOOST_TEST(*id->auth_time == (t0 - 5min).time_since_epoch().count() / 1000);
    // The signing key is the unsealed current key.
    BOOST_TEST(!jwt.key_of(tokens.id_token).empty());
    auto info = oidc->user_info(tokens.access_token, t0 + 2s);
    BOOST_REQUIRE(error_of(info) == "ok");
    const auto& u = std::get<userinfo>(info);
    BOOST_TEST(u.sub == id->sub);
    BOOST_TEST(*u.user_type == "parent");
    BOOST_TEST(*u.academie == "Créteil");
    BOOST_REQUIRE(u.children.has_value());
    BOOST_REQUIRE(u.children->size() == 1u);
    BOOST_TEST(u.children->front().given_name == "Lucas");
    BOOST_TEST(u.children->front().class_name == "4e B");
    BOOST_TEST(!u.email.has_value());  // no email scope
    // An ID token is not an access token.
    BOOST_TEST(error_of(oidc->user_info(tokens.id_token, t0 + 2s)) == "invalid_token");
}

BOOST_FIXTURE_TEST_CASE(code_is_single_use_and_a_replay_revokes_its_tokens, oidc_fixture) {
    const std::string code = code_for(ent, t0);
    auto first = oidc->token(exchange(ent, code), t0 + 1s);
    BOOST_REQUIRE(error_of(first) == "ok");
    const std::string access = std::get<token_response>(first).access_token;
    BOOST_TEST(error_of(oidc->user_info(access, t0 + 2s)) == "ok");
    BOOST_TEST(error_of(oidc->token(exchange(ent, code), t0 + 3s)) == "invalid_grant");
    BOOST_TEST(error_of(oidc->user_info(access, t0 + 4s)) == "invalid_token");
    BOOST_TEST(store.grant_count() == 0u);
}

BOOST_FIXTURE_TEST_CASE(code_binds_client_redirect_and_verifier_and_expires, oidc_fixture) {
    auto req = exchange(ent, code_for(ent, t0));
    req.code_verifier = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    BOOST_TEST(error_of(oidc->token(req, t0 + 1s)) == "invalid_grant");
    req = exchange(ent, code_for(ent, t0));
    req.redirect_uri = ent_uri + "/";
    BOOST_TEST(error_of(oidc->token(req, t0 + 1s)) == "invalid_grant");
    req = exchange(app, code_for(ent, t0));  // the public client presents the ENT's code
    BOOST_TEST(error_of(oidc->token(req, t0 + 1s)) == "invalid_grant");
    req = exchange(ent, code_for(ent, t0));
    req.basic_secret = "wrong";
    BOOST_TEST(error_of(oidc->token(req, t0 + 1s)) == "invalid_client");
    // oidc.code_ttl: alive at 59 s, dead at 60 s, by the manual clock.
    const std::string late = code_for(ent, t0);
    const std::string in_time = code_for(ent, t0);
    BOOST_TEST(error_of(oidc->token(exchange(ent, in_time), t0 + 59s)) == "ok");
    BOOST_TEST(error_of(oidc->token(exchange(ent, late), t0 + 60s)) == "invalid_grant");
}

BOOST_FIXTURE_TEST_CASE(refresh_rotates_and_reuse_revokes_the_family, oidc_fixture) {
    auto first = oidc->token(exchange(ent, code_for(ent, t0, "openid offline_access")), t0 + 1s);
    BOOST_REQUIRE(error_of(first) == "ok");
    const token_response one = std::get<token_response>(first);
    BOOST_REQUIRE(!one.refresh_token.empty());
    // Rotation, long after the access token died (10 min) but within 720 h.
    auto second = oidc->token(refresh(one.refresh_token), t0 + 2h);
    BOOST_REQUIRE(error_of(second) == "ok");
    const token_response two = std::get<token_response>(second);
    BOOST_TEST(two.refresh_token != one.refresh_token);
    BOOST_TEST(error_of(oidc->user_info(one.access_token, t0 + 2h)) == "invalid_token");  // expired
    BOOST_TEST(error_of(oidc->user_info(two.access_token, t0 + 2h)) == "ok");
    // The rotated token again: the whole family goes.
    BOOST_TEST(error_of(oidc->token(refresh(one.refresh_token), t0 + 2h + 1s)) == "invalid_grant");
    BOOST_TEST(error_of(oidc->user_info(two.access_token, t0 + 2h + 2s)) == "invalid_token");
    BOOST_TEST(error_of(oidc->token(refresh(two.refresh_token), t0 + 2h + 3s)) == "invalid_grant");
}

BOOST_FIXTURE_TEST_CASE(ending_the_session_ends_its_tokens, oidc_fixture) {
    auto t = oidc->token(exchange(ent, code_for(ent, t0, "openid offline_access")), t0 + 1s);
    const token_response tokens = std::get<token_response>(t);
    changes c;
    c.sessions_deleted.push_back(parent.session);  // logout, log out everywhere, reset...
    store.apply(c);
    BOOST_TEST(error_of(oidc->user_info(tokens.access_token, t0 + 2s)) == "invalid_token");
    BOOST_TEST(error_of(oidc->token(refresh(tokens.refresh_token), t0 + 3s)) == "invalid_grant");
    // A code of an ended session is refused too.
    parent.session = open_session(parent.acc, t0);
    const std::string code = code_for(ent, t0);
    changes again;
    again.sessions_deleted.push_back(parent.session);
    store.apply(again);
    BOOST_TEST(error_of(oidc->token(exchange(ent, code), t0 + 1s)) == "invalid_grant");
}

BOOST_FIXTURE_TEST_CASE(authorization_errors, oidc_fixture) {
    auto r = request(ent);
    r.redirect_uri = "https://evil.example/cb";
    BOOST_TEST(std::holds_alternative<authorize_error_page>(oidc->authorize(r, &parent, t0)));
    r = request(ent);
    r.client_id = "nobody";
    BOOST_TEST(std::holds_alternative<authorize_error_page>(oidc->authorize(r, &parent, t0)));
    auto redirected_error = [&](const authorization_request& q, const authenticated* who) {
        auto out = oidc->authorize(q, who, t0);
        const auto* red = std::get_if<authorize_redirect>(&out);
        return red ? param(red->location, "error") : std::string("no redirect");
    };
    r = request(ent, "profile");
    BOOST_TEST(redirected_error(r, &parent) == "invalid_scope");
    r = request(app);
    r.code_challenge.reset();
    r.code_challenge_method.reset();
    BOOST_TEST(redirected_error(r, &parent) == "invalid_request");  // PKCE required of public clients
    r = request(ent);
    r.response_type = "token";
    BOOST_TEST(redirected_error(r, &parent) == "unsupported_response_type");
    r = request(ent);
    r.prompt = "none";
    BOOST_TEST(redirected_error(r, nullptr) == "login_required");
    authenticated staff = parent;
    staff.acc.staff = staff_info{staff_role::secretariat, {"0931234X"}, "k", 0};
    BOOST_TEST(redirected_error(request(ent), &staff) == "access_denied");
    // No session, or one that must change its password: the login page.
    BOOST_TEST(std::holds_alternative<authorize_login>(oidc->authorize(request(ent), nullptr, t0)));
    authenticated pending = parent;
    pending.acc.must_change_password = true;
    BOOST_TEST(std::holds_alternative<authorize_login>(oidc->authorize(request(ent), &pending, t0)));
    // prompt=login: back to the login page, then a session opened after it passes.
    r = request(ent);
    r.prompt = "login";
    auto out = oidc->authorize(r, &parent, t0);
    const auto* login = std::get_if<authorize_login>(&out);
    BOOST_REQUIRE(login);
    BOOST_REQUIRE(login->auth_after.has_value());
    r.prompt.reset();
    r.auth_after = std::to_string(*login->auth_after);
    BOOST_TEST(std::holds_alternative<authorize_login>(oidc->authorize(r, &parent, t0 + 10s)));
    authenticated fresh = parent;
    fresh.session = open_session(parent.acc, t0 + 10s);
    BOOST_TEST(std::holds_alternative<authorize_redirect>(oidc->authorize(r, &fresh, t0 + 11s)));
}

BOOST_FIXTURE_TEST_CASE(key_rotation_keeps_the_old_public_key_until_its_tokens_expire, oidc_fixture) {
    const auto before = oidc->jwks(t0);
    BOOST_REQUIRE(before.size() == 1u);
    rotate_signing_keys(store, crypto, "server-secret", 10min, t0 + 1h);
    oidc->load_keys(t0 + 1h);
    const auto after = oidc->jwks(t0 + 1h);
    BOOST_REQUIRE(after.size() == 2u);
    BOOST_TEST(after.front().kid == before.front().kid);
    BOOST_TEST(oidc->jwks(t0 + 1h + 11min).size() == 1u);  // retired key gone with its last token
    // Sealed at rest: another server secret cannot unseal it.
    oidc_service other(store.ports(), store, crypto, jwt, "another-secret", oidc_policy{issuer});
    BOOST_CHECK_THROW(other.load_keys(t0 + 1h), infrastructure_error);
}

BOOST_FIXTURE_TEST_CASE(only_admins_manage_clients_and_every_call_is_audited, oidc_fixture) {
    account admin_acc = parent.acc;
    admin_acc.identifier = "adm";
    admin_acc.staff = staff_info{staff_role::admin, {}, "k", 0};
    account sec_acc = admin_acc;
    sec_acc.identifier = "sec";
    sec_acc.staff = staff_info{staff_role::secretariat, {"0931234X"}, "k", 0};
    const staff_caller admin{admin_acc, {"192.0.2.1", "ua"}};
    const staff_caller sec{sec_acc, {"192.0.2.2", "ua"}};
    auto made = oidc->create_client(admin, {"Télé-services", {"https://ts.example.fr/cb"}, {}, false}, t0);
    BOOST_REQUIRE(made.ok());
    BOOST_TEST(!made->secret.empty());
    BOOST_TEST(made->client.secret_digest == crypto.sha256(made->secret));  // only the digest is kept
    const client_registration other{"X", {"https://x.example.fr/cb"}, {}, false};
    BOOST_TEST(to_string(oidc->create_client(sec, other, t0).error().code) == std::string("forbidden"));
    BOOST_TEST(to_string(oidc->list_clients(sec, t0).error().code) == std::string("forbidden"));
    BOOST_TEST(oidc->list_clients(admin, t0)->size() == 3u);
    BOOST_TEST(oidc->delete_client(admin, made->client.client_id, t0).ok());
    BOOST_TEST(to_string(oidc->delete_client(admin, made->client.client_id, t0).error().code) == std::string("not_found"));
    std::vector<std::string> actions;
    for (const auto& line : store.audit_lines()) actions.push_back(line.action + ":" + line.actor);
    BOOST_TEST(actions == (std::vector<std::string>{"oidc_client.create:adm", "oidc_client.create:sec",
                                                    "oidc_client.list:sec", "oidc_client.list:adm",
                                                    "oidc_client.delete:adm"}));
    auto bad = oidc->create_client(admin, {"X", {"ftp://x.example.fr/"}, {}, false}, t0);
    BOOST_TEST(bad.error().field == "redirect_uris");
}

BOOST_AUTO_TEST_SUITE_END()
