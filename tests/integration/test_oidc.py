"""Sésame as an OpenID Connect provider (API.md "Single sign-on") against the
real binary, with Authlib (Debian's python3-authlib) as the relying party:
it builds the authorization URL with PKCE, exchanges the code, refreshes,
and verifies ID tokens against /oidc/jwks (signature, iss, aud, exp, nonce).
The browser step is plain HTTP with the session cookie of POST
/api/v1/session, following each 302 by hand. Clients are registered with
`sesame oidc client add` on the stopped server's store (or by an admin over
HTTP); the demo accounts come from --demo.seed true."""

import base64
import json
import urllib.parse

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.jose.errors import BadSignatureError, InvalidClaimError
from authlib.oidc.core import CodeIDToken

from conftest import Server, run_cli, wait_for_messages
from test_accounts import DEMO_PASSWORD, FAST, STRONG
from test_sms import free_port
from test_staff import totp

ENT = "https://ent.example.fr/oidc/callback"
ENT_LOGOUT = "https://ent.example.fr/au-revoir"
NOTES = "https://notes.example.fr/cb"
DEMO_TOTP = "otpauth://totp/demo?secret=ONSXGYLNMUWWIZLNN4WXI33UOAWWWZLZ"


def add_client(store, *args):
    """`sesame oidc client add`: {client_id, client_secret (or None)}."""
    proc = run_cli("oidc", "client", "add", "--store.path", store, *args)
    assert proc.returncode == 0, proc.stderr
    values = dict(line.split(": ", 1) for line in proc.stdout.splitlines())
    return {"client_id": values["client_id"], "client_secret": values.get("client_secret")}


class Provider:
    """A server on a fixed free port whose http.public_url is its own address
    (the issuer), with an ENT (confidential), a grades service (public)."""

    def __init__(self, store, extra=()):
        self.store = store
        self.port = free_port()
        self.issuer = "http://127.0.0.1:%d" % self.port
        self.ent = add_client(store, "--name", "ENT de test", "--redirect-uri", ENT, "--redirect-uri",
                              ENT + "2", "--post-logout-redirect-uri", ENT_LOGOUT)
        self.notes = add_client(store, "--name", "Notes", "--redirect-uri", NOTES, "--public")
        self.extra = list(extra)
        self.srv = None
        self.start()

    def start(self):
        self.srv = Server(self.store, ["--demo.seed", "true", *FAST, "--http.listen", "127.0.0.1:%d" % self.port,
                                       "--http.public_url", self.issuer, *self.extra])
        self.config = requests.get(self.issuer + "/.well-known/openid-configuration", timeout=10).json()

    def stop(self):
        assert self.srv.terminate() == 0

    def jwks(self):
        return JsonWebKey.import_key_set(requests.get(self.config["jwks_uri"], timeout=10).json())

    def login(self, identifier, password=DEMO_PASSWORD, otp=None):
        body = {"identifier": identifier, "password": password}
        if otp:
            body["otp"] = otp
        status, r, answer = self.srv.json("POST", "/api/v1/session", body=body)
        assert status == 200, answer
        return r.getheader("Set-Cookie").split(";", 1)[0]

    def get(self, url, cookie=None):
        """One GET, redirects not followed: (status, Location or None, headers, body)."""
        parsed = urllib.parse.urlsplit(url)
        path = parsed.path + ("?" + parsed.query if parsed.query else "")
        status, r, body = self.srv.request("GET", path, cookie=cookie)
        return status, r.getheader("Location"), r, body

    def rp(self, client, redirect_uri, scope, auth="client_secret_basic"):
        return OAuth2Session(client["client_id"], client["client_secret"], scope=scope, redirect_uri=redirect_uri,
                             code_challenge_method="S256",
                             token_endpoint_auth_method=auth if client["client_secret"] else "none")

    def authorize(self, session, cookie, **params):
        """The browser step: (verifier, nonce, Location of the 302)."""
        verifier = generate_token(48)
        nonce = generate_token(16)
        url, _ = session.create_authorization_url(self.config["authorization_endpoint"], code_verifier=verifier,
                                                  nonce=nonce, **params)
        status, location, _, body = self.get(url, cookie)
        assert status == 302, body
        return verifier, nonce, location

    def sign_in(self, client, redirect_uri, cookie, scope="openid profile email school", auth="client_secret_basic"):
        """The whole code flow: (tokens, the RP's session, nonce)."""
        session = self.rp(client, redirect_uri, scope, auth)
        verifier, nonce, location = self.authorize(session, cookie)
        assert location.startswith(redirect_uri + "?"), location
        token = session.fetch_token(self.config["token_endpoint"], authorization_response=location,
                                    code_verifier=verifier)
        return token, session, nonce

    def id_claims(self, id_token, client, nonce, jwks=None):
        claims = jwt.decode(id_token, jwks or self.jwks(), claims_cls=CodeIDToken,
                            claims_options={"iss": {"essential": True, "value": self.issuer}},
                            claims_params={"nonce": nonce, "client_id": client["client_id"]})
        claims.validate()
        return claims

    def userinfo(self, access_token):
        return requests.get(self.config["userinfo_endpoint"], headers={"Authorization": "Bearer " + access_token},
                            timeout=10)

    def token_post(self, data, auth=None):
        return requests.post(self.config["token_endpoint"], data=data, auth=auth, timeout=10)


@pytest.fixture
def op(tmp_path):
    p = Provider(str(tmp_path / "data"))
    yield p
    p.srv.kill()


def query_of(location):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def code_of(op, client, redirect_uri, cookie, scope="openid", verifier=None):
    """A fresh code by plain HTTP: (code, verifier)."""
    verifier = verifier or generate_token(48)
    challenge = base64.urlsafe_b64encode(__import__("hashlib").sha256(verifier.encode()).digest()).rstrip(b"=")
    params = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect_uri,
              "scope": scope, "state": "s1", "code_challenge": challenge.decode(), "code_challenge_method": "S256"}
    status, location, _, body = op.get("/oidc/authorize?" + urllib.parse.urlencode(params), cookie)
    assert status == 302 and location.startswith(redirect_uri), (status, location, body)
    return query_of(location)["code"], verifier


# ---- discovery, keys ---------------------------------------------------------

def test_discovery_lists_what_api_md_promises(op):
    c = op.config
    assert c["issuer"] == op.issuer
    for name, path in [("authorization_endpoint", "/oidc/authorize"), ("token_endpoint", "/oidc/token"),
                       ("userinfo_endpoint", "/oidc/userinfo"), ("jwks_uri", "/oidc/jwks"),
                       ("end_session_endpoint", "/oidc/logout")]:
        assert c[name] == op.issuer + path
    assert c["response_types_supported"] == ["code"]
    assert {"authorization_code", "refresh_token"} <= set(c["grant_types_supported"])
    assert c["id_token_signing_alg_values_supported"] == ["ES256"]
    assert c["code_challenge_methods_supported"] == ["S256"]
    assert set(c["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post", "none"}
    assert set(c["scopes_supported"]) == {"openid", "profile", "email", "school", "offline_access"}
    assert c["subject_types_supported"] == ["pairwise"]
    assert {"sub", "children", "establishment", "academie"} <= set(c["claims_supported"])
    keys = requests.get(c["jwks_uri"], timeout=10).json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "EC" and keys[0]["crv"] == "P-256" and keys[0]["alg"] == "ES256"
    assert "d" not in keys[0]  # never the private part


# ---- the code flow -------------------------------------------------------------

def test_confidential_client_parent_reads_children_schools(op):
    cookie = op.login("m.dupont")
    token, rp, nonce = op.sign_in(op.ent, ENT, cookie)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 600 and "refresh_token" not in token
    claims = op.id_claims(token["id_token"], op.ent, nonce)
    assert claims["aud"] == op.ent["client_id"] and claims["nonce"] == nonce and "auth_time" in claims
    header = json.loads(base64.urlsafe_b64decode(token["id_token"].split(".")[0] + "=="))
    assert header["alg"] == "ES256" and header["kid"] == op.jwks().keys[0].as_dict()["kid"]
    info = rp.get(op.config["userinfo_endpoint"]).json()  # Authlib sends the Bearer token
    assert info["sub"] == claims["sub"] and info["sub"] != "m.dupont"
    assert info["given_name"] and info["family_name"] == "Dupont" and info["preferred_username"] == "m.dupont"
    assert info["user_type"] == "parent" and info["establishment"] == "0751234A" and info["academie"] == "Paris"
    assert info["email"] == "marie.dupont@example.fr" and info["email_verified"] is True and "class" not in info
    [child] = info["children"]
    assert child["family_name"] == "Dupont" and child["establishment"] == "0751234A" and child["class"]
    # The child's sub is the pupil's own at this client.
    pupil_token, _, pupil_nonce = op.sign_in(op.ent, ENT, op.login("l.dupont"))
    assert op.id_claims(pupil_token["id_token"], op.ent, pupil_nonce)["sub"] == child["sub"] != info["sub"]


def test_public_client_pupil_with_email_and_class(op):
    token, rp, nonce = op.sign_in(op.notes, NOTES, op.login("l.dupont"))
    claims = op.id_claims(token["id_token"], op.notes, nonce)
    info = op.userinfo(token["access_token"]).json()
    assert info["sub"] == claims["sub"]
    assert info["user_type"] == "eleve" and info["class"] and "children" not in info
    assert info["email"] == "lucas.dupont@example.fr" and info["email_verified"] is True
    # POST with the token in the header works too (OIDC Core §5.3.1).
    r = requests.post(op.config["userinfo_endpoint"], headers={"Authorization": "Bearer " + token["access_token"]},
                      timeout=10)
    assert r.status_code == 200 and r.json() == info


def test_public_client_must_use_pkce(op):
    cookie = op.login("l.dupont")
    params = {"response_type": "code", "client_id": op.notes["client_id"], "redirect_uri": NOTES, "scope": "openid",
              "state": "xyz"}
    status, location, _, _ = op.get("/oidc/authorize?" + urllib.parse.urlencode(params), cookie)
    assert status == 302 and query_of(location)["error"] == "invalid_request" and query_of(location)["state"] == "xyz"
    params.update(code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method="plain")
    status, location, _, _ = op.get("/oidc/authorize?" + urllib.parse.urlencode(params), cookie)
    assert query_of(location)["error"] == "invalid_request"


def test_scopes_gate_the_claims(op):
    cookie = op.login("l.dupont")
    token, _, _ = op.sign_in(op.ent, ENT, cookie, scope="openid")
    assert set(op.userinfo(token["access_token"]).json()) == {"sub"}
    token, _, _ = op.sign_in(op.ent, ENT, cookie, scope="openid profile unknown-scope")
    info = op.userinfo(token["access_token"]).json()
    assert set(info) == {"sub", "given_name", "family_name", "preferred_username"}
    assert token["scope"] == "openid profile"
    # Without openid: invalid_scope, back to the client with the state.
    session = op.rp(op.ent, ENT, "profile")
    url, state = session.create_authorization_url(op.config["authorization_endpoint"], code_verifier=generate_token(48))
    status, location, _, _ = op.get(url, cookie)
    assert status == 302 and query_of(location)["error"] == "invalid_scope" and query_of(location)["state"] == state


def test_sub_is_pairwise_and_stable(op):
    first, _, n1 = op.sign_in(op.ent, ENT, op.login("m.dupont"), scope="openid")
    again, _, n2 = op.sign_in(op.ent, ENT, op.login("m.dupont"), scope="openid")
    other, _, n3 = op.sign_in(op.notes, NOTES, op.login("m.dupont"), scope="openid")
    sub_ent = op.id_claims(first["id_token"], op.ent, n1)["sub"]
    assert op.id_claims(again["id_token"], op.ent, n2)["sub"] == sub_ent
    assert op.id_claims(other["id_token"], op.notes, n3)["sub"] != sub_ent
    assert "dupont" not in sub_ent


def test_client_secret_post_and_wrong_secret(op):
    cookie = op.login("m.dupont")
    code, verifier = code_of(op, op.ent, ENT, cookie)
    bad = op.token_post({"grant_type": "authorization_code", "code": code, "redirect_uri": ENT,
                         "code_verifier": verifier, "client_id": op.ent["client_id"], "client_secret": "nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert bad.headers["WWW-Authenticate"].startswith("Basic")
    good = op.token_post({"grant_type": "authorization_code", "code": code, "redirect_uri": ENT,
                          "code_verifier": verifier, "client_id": op.ent["client_id"],
                          "client_secret": op.ent["client_secret"]})
    assert good.status_code == 200, good.text
    assert good.headers["Cache-Control"] == "no-store" and good.headers["Pragma"] == "no-cache"
    # Both methods at once: refused (RFC 6749 §2.3).
    code, verifier = code_of(op, op.ent, ENT, cookie)
    both = op.token_post({"grant_type": "authorization_code", "code": code, "redirect_uri": ENT,
                          "code_verifier": verifier, "client_secret": op.ent["client_secret"]},
                         auth=(op.ent["client_id"], op.ent["client_secret"]))
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    assert op.token_post({"grant_type": "password"}, auth=(op.ent["client_id"], op.ent["client_secret"])).json()[
        "error"] == "unsupported_grant_type"


# ---- codes ------------------------------------------------------------------------

def test_code_replay_fails_and_revokes_the_first_tokens(op):
    cookie = op.login("m.dupont")
    code, verifier = code_of(op, op.ent, ENT, cookie)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": ENT, "code_verifier": verifier}
    auth = (op.ent["client_id"], op.ent["client_secret"])
    first = op.token_post(data, auth)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert op.userinfo(access).status_code == 200
    replay = op.token_post(data, auth)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    r = op.userinfo(access)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_wrong_redirect_uri_gets_a_french_page_never_a_redirect(op):
    cookie = op.login("m.dupont")
    for client_id, redirect in [(op.ent["client_id"], "https://evil.example/cb"),
                                (op.ent["client_id"], ENT + "/"),  # exact match only
                                ("unknown-client", ENT)]:
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect, "scope": "openid",
                  "state": "s"}
        status, location, r, body = op.get("/oidc/authorize?" + urllib.parse.urlencode(params), cookie)
        assert status == 400 and location is None
        assert r.getheader("Content-Type").startswith("text/html") and "Sésame" in body.decode()
    # The second registered URI works.
    code, verifier = code_of(op, op.ent, ENT + "2", cookie)
    # The code is bound to that redirect URI.
    r = op.token_post({"grant_type": "authorization_code", "code": code, "redirect_uri": ENT,
                       "code_verifier": verifier}, (op.ent["client_id"], op.ent["client_secret"]))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_wrong_verifier_and_wrong_client(op):
    cookie = op.login("m.dupont")
    code, verifier = code_of(op, op.ent, ENT, cookie)
    auth = (op.ent["client_id"], op.ent["client_secret"])
    r = op.token_post({"grant_type": "authorization_code", "code": code, "redirect_uri": ENT,
                       "code_verifier": generate_token(48)}, auth)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = op.token_post({"grant_type": "authorization_code", "code": code, "redirect_uri": ENT, "code_verifier": verifier,
                       "client_id": op.notes["client_id"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


# ---- refresh tokens ----------------------------------------------------------------

def test_refresh_rotates_and_reuse_revokes_the_family(op):
    token, rp, nonce = op.sign_in(op.ent, ENT, op.login("m.dupont"), scope="openid school offline_access")
    first_refresh = token["refresh_token"]
    fresh = rp.refresh_token(op.config["token_endpoint"], refresh_token=first_refresh)
    assert fresh["refresh_token"] != first_refresh and fresh["access_token"] != token["access_token"]
    claims = jwt.decode(fresh["id_token"], op.jwks())
    assert claims["aud"] == op.ent["client_id"] and claims["iss"] == op.issuer
    assert op.userinfo(fresh["access_token"]).status_code == 200
    # The rotated token comes back: someone holds a copy. The family dies.
    auth = (op.ent["client_id"], op.ent["client_secret"])
    reuse = op.token_post({"grant_type": "refresh_token", "refresh_token": first_refresh}, auth)
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert op.userinfo(fresh["access_token"]).status_code == 401
    assert op.userinfo(token["access_token"]).status_code == 401
    latest = op.token_post({"grant_type": "refresh_token", "refresh_token": fresh["refresh_token"]}, auth)
    assert latest.status_code == 400 and latest.json()["error"] == "invalid_grant"


# ---- the login page round trip, prompt --------------------------------------------

def test_without_session_the_login_page_comes_back_to_the_authorization(op):
    session = op.rp(op.ent, ENT, "openid profile")
    verifier = generate_token(48)
    url, state = session.create_authorization_url(op.config["authorization_endpoint"], code_verifier=verifier,
                                                  nonce="n-1")
    status, location, _, _ = op.get(url)
    assert status == 302 and location.startswith("/?retour=")
    back = urllib.parse.unquote(location[len("/?retour="):])
    assert back.startswith("/oidc/authorize?") and query_of(back)["state"] == state
    # What the portal does after the login: GET the return address.
    cookie = op.login("m.dupont")
    status, location, _, _ = op.get(back, cookie)
    assert status == 302 and location.startswith(ENT + "?") and query_of(location)["state"] == state
    token = session.fetch_token(op.config["token_endpoint"], authorization_response=location, code_verifier=verifier)
    assert op.id_claims(token["id_token"], op.ent, "n-1")["sub"]
    # A session that must change its password is not usable either.
    status, location, _, _ = op.get(url, op.login("e.martin", "ESSA-YEZM-2345-6789"))
    assert status == 302 and location.startswith("/?retour=")


def test_prompt_none_and_prompt_login(op):
    session = op.rp(op.ent, ENT, "openid")
    url, state = session.create_authorization_url(op.config["authorization_endpoint"],
                                                  code_verifier=generate_token(48), prompt="none")
    status, location, _, _ = op.get(url)
    assert status == 302 and query_of(location)["error"] == "login_required" and query_of(location)["state"] == state
    old = op.login("m.dupont")
    url, state = session.create_authorization_url(op.config["authorization_endpoint"],
                                                  code_verifier=generate_token(48), prompt="login")
    status, location, _, _ = op.get(url, old)
    assert status == 302 and location.startswith("/?retour=")  # asked again despite the session
    back = urllib.parse.unquote(location[len("/?retour="):])
    assert "prompt" not in query_of(back) and "auth_after" in query_of(back)
    # Coming back without a new login: the old session is still not enough.
    assert op.get(back, old)[1].startswith("/?retour=")
    # max_age=0 too.
    url, _ = session.create_authorization_url(op.config["authorization_endpoint"],
                                              code_verifier=generate_token(48), max_age="0")
    assert op.get(url, old)[1].startswith("/?retour=")
    # After a fresh login, the code comes.
    status, location, _, _ = op.get(back, op.login("m.dupont"))
    assert status == 302 and location.startswith(ENT + "?") and "code" in query_of(location)


def test_staff_get_access_denied(op):
    cookie = op.login("secretariat", otp=totp(DEMO_TOTP))
    session = op.rp(op.ent, ENT, "openid")
    url, state = session.create_authorization_url(op.config["authorization_endpoint"],
                                                  code_verifier=generate_token(48))
    status, location, _, _ = op.get(url, cookie)
    assert status == 302 and query_of(location)["error"] == "access_denied" and query_of(location)["state"] == state


# ---- the end of tokens ----------------------------------------------------------------

def test_logout_ends_the_session_and_its_tokens(op):
    cookie = op.login("m.dupont")
    token, _, _ = op.sign_in(op.ent, ENT, cookie, scope="openid offline_access")
    params = {"id_token_hint": token["id_token"], "post_logout_redirect_uri": ENT_LOGOUT, "state": "bye"}
    status, location, r, _ = op.get("/oidc/logout?" + urllib.parse.urlencode(params), cookie)
    assert status == 302 and location == ENT_LOGOUT + "?state=bye"
    assert "Max-Age=0" in r.getheader("Set-Cookie")
    assert op.srv.json("GET", "/api/v1/me", cookie=cookie)[0] == 401
    assert op.userinfo(token["access_token"]).status_code == 401
    r = op.token_post({"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
                      (op.ent["client_id"], op.ent["client_secret"]))
    assert r.json()["error"] == "invalid_grant"


def test_logout_never_redirects_to_an_unregistered_address(op):
    cookie = op.login("m.dupont")
    token, _, _ = op.sign_in(op.ent, ENT, cookie, scope="openid")
    params = {"id_token_hint": token["id_token"], "post_logout_redirect_uri": "https://evil.example/"}
    status, location, r, body = op.get("/oidc/logout?" + urllib.parse.urlencode(params), cookie)
    assert status == 200 and location is None and "déconnecté" in body.decode()
    # A forged hint: a 400 page, nothing ended.
    cookie = op.login("m.dupont")
    head, payload, sig = token["id_token"].split(".")
    forged = head + "." + payload + "." + sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")
    status, location, _, _ = op.get("/oidc/logout?" + urllib.parse.urlencode(
        {"id_token_hint": forged, "post_logout_redirect_uri": ENT_LOGOUT}), cookie)
    assert status == 400 and location is None
    assert op.srv.json("GET", "/api/v1/me", cookie=cookie)[0] == 200
    # Without a hint the user confirms first (a link alone logs nobody out).
    status, _, _, body = op.get("/oidc/logout", cookie)
    assert status == 200 and 'method="post"' in body.decode()
    assert op.srv.json("GET", "/api/v1/me", cookie=cookie)[0] == 200
    status, _, _ = op.srv.request("POST", "/oidc/logout", body="confirm=1", cookie=cookie,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and op.srv.json("GET", "/api/v1/me", cookie=cookie)[0] == 401


def test_log_out_everywhere_and_a_password_reset_end_sso_tokens(op):
    laptop = op.login("m.dupont")
    token, _, _ = op.sign_in(op.ent, ENT, laptop, scope="openid offline_access")
    phone = op.login("m.dupont")
    kept, _, _ = op.sign_in(op.ent, ENT, phone, scope="openid")
    assert op.srv.request("DELETE", "/api/v1/me/sessions", cookie=phone)[0] == 204
    assert op.userinfo(token["access_token"]).status_code == 401
    auth = (op.ent["client_id"], op.ent["client_secret"])
    assert op.token_post({"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
                         auth).json()["error"] == "invalid_grant"
    assert op.userinfo(kept["access_token"]).status_code == 200  # the session that asked keeps its tokens
    # A password reset ends every session, and so the rest.
    status, _, flow = op.srv.json("POST", "/api/v1/recovery/password",
                                  body={"identifier": "m.dupont", "profile": "parent"})
    assert status == 202
    [sms] = wait_for_messages(op.store, lambda m: m["channel"] == "sms" and m["purpose"] == "recovery_code")
    code = sms["text"].rsplit("#", 1)[1]
    _, _, verified = op.srv.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"], body={"code": code})
    status, _, _ = op.srv.json("POST", "/api/v1/recovery/password/reset",
                               body={"reset_token": verified["reset_token"], "new_password": STRONG})
    assert status == 204
    assert op.userinfo(kept["access_token"]).status_code == 401


def test_key_rotation_keeps_old_tokens_verifiable(op):
    cookie = op.login("m.dupont")
    token, _, nonce = op.sign_in(op.ent, ENT, cookie, scope="openid")
    old_kid = op.jwks().keys[0].as_dict()["kid"]
    op.stop()
    proc = run_cli("oidc", "rotate-keys", "--store.path", op.store)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("kid: ") and old_kid not in proc.stdout
    op.start()
    jwks = op.jwks()
    kids = {k.as_dict()["kid"] for k in jwks.keys}
    assert len(kids) == 2 and old_kid in kids
    assert op.id_claims(token["id_token"], op.ent, nonce, jwks)["sub"]  # signed by the retired key
    assert op.userinfo(token["access_token"]).status_code == 200
    fresh, _, fresh_nonce = op.sign_in(op.ent, ENT, op.login("m.dupont"), scope="openid")
    header = json.loads(base64.urlsafe_b64decode(fresh["id_token"].split(".")[0] + "=="))
    assert header["kid"] in kids and header["kid"] != old_kid
    assert op.id_claims(fresh["id_token"], op.ent, fresh_nonce, jwks)["sub"]
    # A token altered by one byte does not verify.
    head, payload, sig = fresh["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    tampered = head + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + sig
    with pytest.raises(BadSignatureError):
        jwt.decode(tampered, jwks)


def test_expired_id_token_is_refused_by_the_rp(tmp_path):
    """exp is honoured: with a 1 s lifetime, Authlib refuses the token once the
    server's clock passed it (checked with Authlib's own `now`)."""
    p = Provider(str(tmp_path / "data"), ["--oidc.access_token_ttl", "1s"])
    try:
        token, _, nonce = p.sign_in(p.ent, ENT, p.login("m.dupont"), scope="openid")
        claims = jwt.decode(token["id_token"], p.jwks(), claims_cls=CodeIDToken,
                            claims_params={"nonce": nonce, "client_id": p.ent["client_id"]})
        assert claims["exp"] - claims["iat"] == 1
        with pytest.raises(Exception) as refused:
            claims.validate(now=claims["exp"] + 1)
        assert "expired" in str(refused.value).lower()
        with pytest.raises(InvalidClaimError):
            jwt.decode(token["id_token"], p.jwks(), claims_cls=CodeIDToken,
                       claims_params={"nonce": "another", "client_id": p.ent["client_id"]}).validate(now=claims["iat"])
    finally:
        p.srv.kill()


# ---- clients, services -----------------------------------------------------------------

def test_admin_client_routes_are_audited_and_admin_only(op):
    admin = op.login("admin", otp=totp(DEMO_TOTP))
    body = {"name": "Télé-services", "redirect_uris": ["https://teleservices.example.fr/cb"],
            "post_logout_redirect_uris": [], "public": False}
    status, _, made = op.srv.json("POST", "/api/v1/admin/oidc/clients", body=body, cookie=admin)
    assert status == 201 and made["client_id"] and made["client_secret"]
    status, _, listed = op.srv.json("GET", "/api/v1/admin/oidc/clients", cookie=admin)
    assert status == 200 and made["client_id"] in {c["client_id"] for c in listed["clients"]}
    assert all("client_secret" not in c and "secret" not in json.dumps(c) for c in listed["clients"])
    status, _, bad = op.srv.json("POST", "/api/v1/admin/oidc/clients", cookie=admin,
                                 body={**body, "redirect_uris": ["javascript:alert(1)"]})
    assert status == 400 and bad["field"] == "redirect_uris"
    secretariat = op.login("secretariat", otp=totp(DEMO_TOTP))
    assert op.srv.json("GET", "/api/v1/admin/oidc/clients", cookie=secretariat)[0] == 403
    assert op.srv.json("POST", "/api/v1/admin/oidc/clients", body=body, cookie=secretariat)[0] == 403
    assert op.srv.json("GET", "/api/v1/admin/oidc/clients", cookie=op.login("m.dupont"))[0] == 403
    assert op.srv.json("GET", "/api/v1/admin/oidc/clients")[0] == 401
    assert op.srv.request("DELETE", "/api/v1/admin/oidc/clients/" + made["client_id"], cookie=admin)[0] == 204
    assert op.srv.request("DELETE", "/api/v1/admin/oidc/clients/" + made["client_id"], cookie=admin)[0] == 404
    _, _, audit = op.srv.json("GET", "/api/v1/admin/audit?limit=100", cookie=admin)
    actions = [e["action"] for e in audit["events"]]
    assert {"oidc_client.create", "oidc_client.list", "oidc_client.delete"} <= set(actions)


def test_me_services_lists_the_services_signed_in_to(op):
    cookie = op.login("l.dupont")
    assert op.srv.json("GET", "/api/v1/me/services", cookie=cookie)[2] == {"services": []}
    op.sign_in(op.notes, NOTES, cookie, scope="openid")
    _, _, body = op.srv.json("GET", "/api/v1/me/services", cookie=cookie)
    [service] = body["services"]
    assert service["name"] == "Notes" and service["client_id"] == op.notes["client_id"] and service["active"] is True
    assert op.srv.json("GET", "/api/v1/me/services")[0] == 401


def test_cli_client_add_checks_its_options(tmp_path):
    store = str(tmp_path / "data")
    assert run_cli("oidc", "client", "add", "--store.path", store, "--name", "X").returncode == 2
    bad = run_cli("oidc", "client", "add", "--store.path", store, "--name", "X", "--redirect-uri", "ftp://x/")
    assert bad.returncode == 2 and "--redirect-uri" in bad.stderr
    public = run_cli("oidc", "client", "add", "--store.path", store, "--name", "X", "--redirect-uri",
                     "https://x.example/cb", "--public")
    assert public.returncode == 0 and public.stdout.startswith("client_id: ") and "client_secret" not in public.stdout
    assert run_cli("oidc", "frobnicate", "--store.path", store).returncode == 2
