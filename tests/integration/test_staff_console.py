"""The staff console (API.md "Staff routes, in detail") against the real
binary: staff made with `sesame staff add`, logged in with a TOTP code
computed here, then every route and role, with messages read from the file
outbox. Demo accounts live in 0751234A (académie de Paris); a second school,
0931234X (Créteil), is imported by the admin."""

import re
import time

import pytest

from conftest import outbox_messages, run_cli, wait_for_messages
from test_accounts import DEMO_PASSWORD, FAST, STRONG
from test_staff import enrolment, totp

PARIS = "0751234A"
CRETEIL = "0931234X"
STAFF = {
    "adm": ("admin", ""),
    "sec.paris": ("secretariat", PARIS),
    "cpe.paris": ("vie_scolaire", PARIS),
    "dir.paris": ("direction", PARIS),
    "sup.creteil": ("support", "Créteil"),
    "sup.paris": ("support", "Paris"),
    "sec.creteil": ("secretariat", CRETEIL),
}
NEW_PASSWORD = "Staff-" + STRONG


class Console:
    """A running server with one logged-in session per staff login."""

    def __init__(self, srv, uris):
        self.srv = srv
        self.cookies = {}
        for login, uri in uris.items():
            self.cookies[login] = self._login(login, uri)

    def _login(self, login, uri):
        password, provisional = NEW_PASSWORD, uris_passwords[login]
        status, r, body = self.srv.json("POST", "/api/v1/session",
                                        body={"identifier": login, "password": provisional, "otp": totp(uri)})
        assert status == 200, body
        assert body["profile"] == "staff" and body["must_change_password"] is True
        cookie = r.getheader("Set-Cookie").split(";", 1)[0]
        # A provisional password must be changed before any staff route.
        assert self.srv.json("GET", "/api/v1/admin/accounts?q=dupont", cookie=cookie)[2]["error"] == \
            "password_change_required"
        status, _, body = self.srv.json("POST", "/api/v1/me/password", cookie=cookie,
                                        body={"current_password": provisional, "new_password": password})
        assert status == 204, body
        return cookie

    def call(self, login, method, path, body=None, **kw):
        return self.srv.json(method, "/api/v1" + path, body=body, cookie=self.cookies[login], **kw)


uris_passwords = {}


def request_reset(srv, identifier, profile):
    """POST /recovery/password; during the identifier's cooldown (1 s in these
    servers) the server answers 429 with Retry-After: this honours it once,
    as a client would."""
    body = {"identifier": identifier, "profile": profile}
    status, _, answer = srv.json("POST", "/api/v1/recovery/password", body=body)
    if status == 429:
        time.sleep(answer["retry_after"])
        status, _, answer = srv.json("POST", "/api/v1/recovery/password", body=body)
    return status, answer


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    from conftest import Server
    store = str(tmp_path_factory.mktemp("console") / "data")
    uris = {}
    for login, (role, scope) in STAFF.items():
        args = ["staff", "add", "--store.path", store, *FAST, "--login", login, "--role", role]
        if scope:
            args += ["--scope", scope]
        proc = run_cli(*args)
        assert proc.returncode == 0, proc.stderr
        uris_passwords[login], uris[login] = enrolment(proc)
    srv = Server(store, ["--demo.seed", "true", "--limits.sends_per_destination", "3/1h",
                         "--recovery.resend_cooldown", "1s", "--http.max_import_bytes", "4096", *FAST])
    c = Console(srv, uris)
    # The second school, imported over HTTP by the admin.
    csv_body = ("profile,external_id,last_name,first_name,establishment,phone,email,class,birth_date\r\n"
                "parent,CR-P1,Benoît,Anaïs,%s,06 55 44 33 22,,,\r\n"
                "eleve,CR-E1,Benoît,Théo,%s,,theo.benoit@example.fr,5e C,2013-05-04\r\n" % (CRETEIL, CRETEIL)
                ).encode("utf-8")
    status, _, body = c.srv.json("POST", "/api/v1/admin/import", body=csv_body, cookie=c.cookies["adm"],
                                 headers={"Content-Type": "text/csv; charset=utf-8"})
    assert status == 200, body
    assert body["created"] == 2 and body["errors"] == [], body
    c.creteil = {cred["external_id"]: cred["identifier"] for cred in body["credentials"]}
    yield c
    srv.kill()


def test_users_and_anonymous_clients_get_no_staff_route(console):
    srv = console.srv
    status, r, _ = srv.json("POST", "/api/v1/session", body={"identifier": "m.dupont", "password": DEMO_PASSWORD})
    parent = r.getheader("Set-Cookie").split(";", 1)[0]
    routes = [("GET", "/api/v1/admin/accounts?q=dupont"), ("POST", "/api/v1/admin/accounts"),
              ("GET", "/api/v1/admin/accounts/m.dupont"), ("PATCH", "/api/v1/admin/accounts/m.dupont"),
              ("POST", "/api/v1/admin/accounts/m.dupont/unlock"),
              ("POST", "/api/v1/admin/accounts/m.dupont/activation-code"),
              ("GET", "/api/v1/admin/accounts/m.dupont/activity"), ("GET", "/api/v1/admin/references/R-AAAA-BBBB"),
              ("GET", "/api/v1/admin/audit"), ("POST", "/api/v1/admin/staff"), ("GET", "/api/v1/admin/staff"),
              ("DELETE", "/api/v1/admin/staff/adm")]
    for method, path in routes:
        body = {} if method in ("POST", "PATCH") and not path.endswith(("unlock", "activation-code")) else None
        status, _, err = srv.json(method, path, body=body)
        assert status == 401 and err["error"] == "unauthenticated", (method, path, err)
        status, _, err = srv.json(method, path, body=body, cookie=parent)
        assert status == 403 and err["error"] == "forbidden", (method, path, err)
    status, _, me = srv.json("GET", "/api/v1/me", cookie=console.cookies["sec.paris"])
    assert me["profile"] == "staff" and me["role"] == "secretariat" and me["scope"] == [PARIS]


def test_search_within_scope_by_name_phone_and_email(console):
    status, _, body = console.call("sec.paris", "GET", "/admin/accounts?q=DUP")
    assert status == 200
    assert [a["identifier"] for a in body["accounts"]] == ["l.dupont", "m.dupont"] and body["next"] is None
    assert body["accounts"][1] == {"identifier": "m.dupont", "profile": "parent", "first_name": "Marie",
                                   "last_name": "Dupont", "establishment": PARIS, "class": None, "status": "active"}
    # Accents and case folded; a phone in any French form; an exact e-mail.
    benoit = console.creteil["CR-P1"]
    assert [a["identifier"] for a in console.call("adm", "GET", "/admin/accounts?q=beno%C3%AEt")[2]["accounts"]] == \
        sorted(console.creteil.values())
    assert [a["identifier"] for a in console.call("adm", "GET", "/admin/accounts?q=%2B33%206%2055%2044%2033%2022")[2]
            ["accounts"]] == [benoit]
    assert [a["identifier"] for a in console.call("sup.creteil", "GET", "/admin/accounts?q=theo.benoit%40example.fr")[2]
            ["accounts"]] == [console.creteil["CR-E1"]]
    # Out of scope: nothing, whoever asks.
    assert console.call("sec.paris", "GET", "/admin/accounts?q=benoit")[2]["accounts"] == []
    assert console.call("sup.creteil", "GET", "/admin/accounts?q=dupont")[2]["accounts"] == []
    # Filters and paging.
    page = console.call("sec.paris", "GET", "/admin/accounts?profile=eleve&limit=1")[2]
    assert [a["identifier"] for a in page["accounts"]] == ["e.martin"] and page["next"] == "e.martin"
    page = console.call("sec.paris", "GET", "/admin/accounts?profile=eleve&limit=1&cursor=" + page["next"])[2]
    assert [a["identifier"] for a in page["accounts"]] == ["l.dupont"] and page["next"] is None
    assert [a["status"] for a in console.call("sec.paris", "GET", "/admin/accounts?q=k.benali")[2]["accounts"]] == \
        ["pending"]
    for bad, field in [("limit=0", "limit"), ("limit=x", "limit"), ("profile=staff", "profile"),
                       ("establishment=123", "establishment")]:
        status, _, err = console.call("sec.paris", "GET", "/admin/accounts?q=a&" + bad)
        assert status == 400 and err["field"] == field, bad
    assert console.call("adm", "GET", "/admin/accounts")[0] == 400  # a national listing needs a query


def test_an_account_of_another_school_is_404_like_a_missing_one(console):
    benoit = console.creteil["CR-P1"]
    s1, _, b1 = console.call("sec.paris", "GET", "/admin/accounts/" + benoit)
    s2, _, b2 = console.call("sec.paris", "GET", "/admin/accounts/personne")
    assert s1 == s2 == 404 and b1 == b2
    for method, path, body in [("PATCH", "", {"class": "x"}), ("POST", "/unlock", None),
                               ("POST", "/activation-code", None), ("GET", "/activity", None)]:
        assert console.call("sec.paris", method, "/admin/accounts/" + benoit + path, body)[0] == 404
    status, _, record = console.call("sup.creteil", "GET", "/admin/accounts/" + benoit)
    assert status == 200 and record["academie"] == "Créteil" and record["phone"] == "+33655443322"


def test_record_shows_contacts_lock_state_and_flows(console):
    status, _, r = console.call("sec.paris", "GET", "/admin/accounts/m.dupont")
    assert status == 200
    for key in ["academie", "external_id", "birth_date", "children", "phone", "email", "email_validated",
                "pending_email", "must_change_password", "failed_logins", "locked_until", "hard_locked",
                "created_at", "password_changed_at", "flows"]:
        assert key in r, key
    assert r["academie"] == "Paris" and r["children"] == ["DEMO-E1"] and r["email_validated"] is True


def test_phone_change_moves_the_next_sms_and_tells_the_old_phone(console):
    srv = console.srv
    benoit = console.creteil["CR-P1"]
    # Activate the Créteil parent first (recovery serves active accounts).
    status, _, body = console.call("adm", "POST", "/admin/accounts/%s/activation-code" % benoit)
    assert status == 200
    status, r, _ = srv.json("POST", "/api/v1/session", body={"identifier": benoit, "password": body["activation_code"]})
    cookie = r.getheader("Set-Cookie").split(";", 1)[0]
    assert srv.json("POST", "/api/v1/me/password", cookie=cookie,
                    body={"current_password": body["activation_code"], "new_password": STRONG})[0] == 204
    status, _, flow = srv.json("POST", "/api/v1/recovery/password", body={"identifier": benoit, "profile": "parent"})
    assert status == 202
    wait_for_messages(srv.store, lambda m: m["to"] == "+33655443322" and m["purpose"] == "recovery_code")

    # The CPE may not change a phone; the support may not PATCH at all.
    status, _, err = console.call("sup.creteil", "PATCH", "/admin/accounts/" + benoit, {"phone": "0611111111"})
    assert status == 403 and err["error"] == "forbidden"
    status, _, err = console.call("sec.creteil", "PATCH", "/admin/accounts/" + benoit, {"phone": "01 23 45 67 89"})
    assert status == 400 and err["field"] == "phone"
    status, _, record = console.call("sec.creteil", "PATCH", "/admin/accounts/" + benoit, {"phone": "07 66 55 44 33"})
    assert status == 200 and record["phone"] == "+33766554433"
    # The old phone gets a notice; the outstanding code is dead.
    wait_for_messages(srv.store, lambda m: m["to"] == "+33655443322" and m["purpose"] == "contact_changed")
    status, _, err = srv.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"], body={"code": "123456"})
    assert status == 410 and err["error"] == "flow_closed"
    # The next recovery SMS goes to the new number.
    assert request_reset(srv, benoit, "parent")[0] == 202
    assert wait_for_messages(srv.store, lambda m: m["to"] == "+33766554433" and m["purpose"] == "recovery_code")
    _, _, activity = console.call("sec.creteil", "GET", "/admin/accounts/%s/activity" % benoit)
    changed = [e for e in activity["events"] if e["type"] == "contact_changed"]
    assert changed and changed[0]["actor"] == "sec.creteil"
    # The reference of the first request shows its gateway attempt.
    status, _, diag = console.call("sec.creteil", "GET", "/admin/references/" + flow["reference"])
    assert status == 200, diag
    assert diag["outcome"] == "sent" and diag["kind"] == "password_reset" and diag["state"] == "closed"
    assert diag["identifier"] == benoit and diag["asked"] == benoit
    assert diag["destination"] == "+33 6 •• •• •• 22"
    [msg] = diag["messages"]
    assert msg["status"] == "sent" and msg["attempts"][0]["result"] == "accepted"


def test_cpe_changes_an_email_that_serves_recovery_only_after_its_link(console):
    srv = console.srv
    pupil = console.creteil["CR-E1"]
    assert console.call("sec.creteil", "PATCH", "/admin/accounts/" + pupil, {"email": "x@example.fr"})[0] == 403
    status, _, record = console.call("adm", "PATCH", "/admin/accounts/" + pupil, {"email": "Theo.B@example.fr"})
    assert status == 200 and record["pending_email"] == "Theo.B@example.fr"
    [mail] = wait_for_messages(srv.store, lambda m: m["to"] == "Theo.B@example.fr" and m["purpose"] == "email_confirmation")
    token = re.search(r"/mon-compte/confirmer#token=([\w.-]+)", mail["text"]).group(1)
    # Activate the pupil, then ask for a reset: nothing goes to the pending address.
    code = console.call("adm", "POST", "/admin/accounts/%s/activation-code" % pupil)[2]["activation_code"]
    status, r, _ = srv.json("POST", "/api/v1/session", body={"identifier": pupil, "password": code})
    cookie = r.getheader("Set-Cookie").split(";", 1)[0]
    assert srv.json("POST", "/api/v1/me/password", cookie=cookie,
                    body={"current_password": code, "new_password": STRONG})[0] == 204
    status, before = request_reset(srv, pupil, "eleve")
    assert status == 202
    diag = console.call("adm", "GET", "/admin/references/" + before["reference"])[2]
    assert diag["outcome"] == "email_not_validated"
    assert not [m for m in outbox_messages(srv.store) if m["to"] == "Theo.B@example.fr" and m["purpose"] == "recovery_code"]
    assert srv.json("POST", "/api/v1/email/confirm", body={"token": token})[0] == 200
    status, after = request_reset(srv, pupil, "eleve")
    assert status == 202, after
    assert wait_for_messages(srv.store, lambda m: m["to"] == "Theo.B@example.fr" and m["purpose"] == "recovery_code")


def test_support_unlocks_but_cannot_patch(console):
    srv = console.srv
    for _ in range(5):
        srv.json("POST", "/api/v1/session", body={"identifier": "l.dupont", "password": "wrong-password-0"})
    status, _, err = srv.json("POST", "/api/v1/session", body={"identifier": "l.dupont", "password": DEMO_PASSWORD})
    assert status == 423
    assert console.call("sup.paris", "PATCH", "/admin/accounts/l.dupont", {"class": "3e A"})[0] == 403
    assert console.call("sup.paris", "GET", "/admin/accounts/l.dupont")[2]["status"] == "locked"
    status, _, _ = console.call("sup.paris", "POST", "/admin/accounts/l.dupont/unlock")
    assert status == 204
    record = console.call("sup.paris", "GET", "/admin/accounts/l.dupont")[2]
    assert record["status"] == "active" and record["failed_logins"] == 0 and record["locked_until"] is None
    assert srv.json("POST", "/api/v1/session", body={"identifier": "l.dupont", "password": DEMO_PASSWORD})[0] == 200
    activity = console.call("sup.paris", "GET", "/admin/accounts/l.dupont/activity?limit=5")[2]
    assert any(e["type"] == "account_unlocked" and e["actor"] == "sup.paris" for e in activity["events"])


def test_activation_code_ends_sessions_and_replaces_the_password(console):
    srv = console.srv
    status, r, _ = srv.json("POST", "/api/v1/session", body={"identifier": "m.dupont", "password": DEMO_PASSWORD})
    session = r.getheader("Set-Cookie").split(";", 1)[0]
    assert console.call("cpe.paris", "POST", "/admin/accounts/m.dupont/activation-code")[0] == 403  # parents: secretariat
    status, _, body = console.call("sec.paris", "POST", "/admin/accounts/m.dupont/activation-code")
    assert status == 200 and re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", body["activation_code"])
    assert srv.json("GET", "/api/v1/me", cookie=session)[0] == 401
    assert srv.json("POST", "/api/v1/session", body={"identifier": "m.dupont", "password": DEMO_PASSWORD})[0] == 401
    status, _, me = srv.json("POST", "/api/v1/session", body={"identifier": "m.dupont", "password": body["activation_code"]})
    assert status == 200 and me["must_change_password"] is True


def test_references_for_decoys_pending_parents_and_capped_destinations(console):
    srv = console.srv
    decoy = srv.json("POST", "/api/v1/recovery/password", body={"identifier": "m.dupnt", "profile": "parent"})[2]
    assert console.call("sec.paris", "GET", "/admin/references/" + decoy["reference"])[0] == 404
    status, _, d = console.call("sup.paris", "GET", "/admin/references/" + decoy["reference"].lower())
    assert status == 200 and d["outcome"] == "unknown_identifier" and d["identifier"] is None
    assert d["asked"] == "m.dupnt" and d["messages"] == [] and d["detail"]
    pending = srv.json("POST", "/api/v1/recovery/password", body={"identifier": "k.benali", "profile": "parent"})[2]
    d = console.call("sec.paris", "GET", "/admin/references/" + pending["reference"])[2]
    assert d["outcome"] == "not_activated" and d["identifier"] == "k.benali"
    # Forgotten identifier for a phone on no account: support and admin only, masked.
    unknown = srv.json("POST", "/api/v1/recovery/identifier", body={"profile": "parent", "phone": "06 01 02 03 04"})[2]
    assert console.call("dir.paris", "GET", "/admin/references/" + unknown["reference"])[0] == 404
    d = console.call("adm", "GET", "/admin/references/" + unknown["reference"])[2]
    assert d["outcome"] == "unknown_contact" and d["asked"] == "+33 6 •• •• •• 04"
    # A destination past limits.sends_per_destination (3/h here): still 202, nothing sent, told to staff.
    refs = []
    for _ in range(4):
        status, _, body = srv.json("POST", "/api/v1/recovery/identifier", body={"profile": "eleve",
                                                                             "email": "lucas.dupont@example.fr"})
        assert status == 202
        refs.append(body["reference"])
    outcomes = [console.call("cpe.paris", "GET", "/admin/references/" + r)[2]["outcome"] for r in refs]
    assert "destination_limit" in outcomes
    capped = console.call("cpe.paris", "GET", "/admin/references/" + refs[outcomes.index("destination_limit")])[2]
    assert capped["messages"][0]["status"] == "refused"


def test_create_one_account_and_import_csv(console):
    body = {"profile": "eleve", "external_id": "INE-42", "last_name": "Zoé", "first_name": "Élise",
            "establishment": PARIS, "class": "6e B", "birth_date": "2014-03-01"}
    assert console.call("cpe.paris", "POST", "/admin/accounts", body)[0] == 403
    status, _, err = console.call("sec.paris", "POST", "/admin/accounts", {**body, "establishment": CRETEIL})
    assert status == 403 and err["error"] == "forbidden"
    status, _, err = console.call("sec.paris", "POST", "/admin/accounts", {**body, "birth_date": "2014-02-30"})
    assert status == 400 and err["field"] == "birth_date"
    status, _, err = console.call("sec.paris", "POST", "/admin/accounts", {**body, "children": "x"})
    assert status == 400 and err["field"] == "children"
    status, _, made = console.call("sec.paris", "POST", "/admin/accounts", body)
    assert status == 201 and made["identifier"] == "e.zoe" and made["activation_code"]
    status, _, err = console.call("sec.paris", "POST", "/admin/accounts", body)
    assert status == 409 and err["error"] == "already_exists"
    # Import: rows of another school are errors and do not land.
    csv_body = ("profile;external_id;last_name;first_name;establishment;phone\n"
                "parent;IMP-1;Petit;Jean;%s;0612000001\nparent;IMP-2;Petit;Jeanne;%s;0612000002\n" % (PARIS, CRETEIL))
    status, _, report = console.call("sec.paris", "POST", "/admin/import", csv_body, headers={"Content-Type": "text/csv"})
    assert status == 200 and report["created"] == 1 and [e["line"] for e in report["errors"]] == [3]
    assert [c["external_id"] for c in report["credentials"]] == ["IMP-1"]
    assert console.call("sec.paris", "POST", "/admin/import", {"csv": csv_body})[0] == 415
    big = "profile,external_id,last_name,first_name,establishment\n" + "x" * 5000
    assert console.call("sec.paris", "POST", "/admin/import", big, headers={"Content-Type": "text/csv"})[0] == 413
    assert console.call("cpe.paris", "POST", "/admin/import", csv_body, headers={"Content-Type": "text/csv"})[0] == 403


def test_audit_log_by_scope(console):
    assert console.call("sec.paris", "GET", "/admin/audit")[0] == 403
    status, _, all_events = console.call("adm", "GET", "/admin/audit?limit=100")
    assert status == 200
    actions = {e["action"] for e in all_events["events"]}
    for action in ["session.login", "account.search", "account.read", "account.update", "account.unlock",
                   "account.activation_code", "account.activity", "reference.read", "account.import",
                   "account.create"]:
        assert action in actions, action
    e = all_events["events"][0]
    assert set(e) == {"at", "actor", "role", "action", "target", "ip", "detail"}
    status, _, mine = console.call("dir.paris", "GET", "/admin/audit?limit=100")
    assert status == 200 and mine["events"]
    benoit = console.creteil["CR-P1"]
    assert all(e["target"] != benoit for e in mine["events"])
    assert all(e["action"] != "session.login" for e in mine["events"])  # about no account: admin only
    status, _, theirs = console.call("sup.creteil", "GET", "/admin/audit?limit=100")
    assert theirs["events"] and all(e["target"] not in ("m.dupont", "l.dupont") for e in theirs["events"])
    # Paging.
    first = console.call("adm", "GET", "/admin/audit?limit=2")[2]
    second = console.call("adm", "GET", "/admin/audit?limit=2&before=" + first["next"])[2]
    assert first["events"][1] != second["events"][0] and len(second["events"]) == 2


def test_staff_management_and_a_deleted_session(console):
    assert console.call("dir.paris", "GET", "/admin/staff")[0] == 403
    status, _, made = console.call("adm", "POST", "/admin/staff",
                                   {"login": "cpe.bis", "role": "vie_scolaire", "scope": [PARIS]})
    assert status == 201 and made["login"] == "cpe.bis" and made["totp_uri"].startswith("otpauth://totp/")
    status, _, err = console.call("adm", "POST", "/admin/staff",
                                  {"login": "cpe.bis", "role": "vie_scolaire", "scope": [PARIS]})
    assert status == 409 and err["error"] == "already_exists"
    status, _, err = console.call("adm", "POST", "/admin/staff", {"login": "x", "role": "admin"})
    assert status == 400 and err["field"] == "login"
    status, _, err = console.call("adm", "POST", "/admin/staff", {"login": "cpe.ter", "role": "vie_scolaire"})
    assert status == 400 and err["field"] == "scope"
    listing = console.call("adm", "GET", "/admin/staff")[2]["staff"]
    logins = [s["login"] for s in listing]
    assert "cpe.bis" in logins and "sec.paris" in logins
    sec = next(s for s in listing if s["login"] == "sec.paris")
    assert sec["role"] == "secretariat" and sec["scope"] == [PARIS] and sec["last_login_at"]
    status, _, err = console.call("adm", "DELETE", "/admin/staff/adm")
    assert status == 409 and err["error"] == "conflict"
    assert console.call("adm", "DELETE", "/admin/staff/nobody")[0] == 404
    assert console.call("sec.creteil", "GET", "/admin/accounts?q=beno")[0] == 200
    assert console.call("adm", "DELETE", "/admin/staff/sec.creteil")[0] == 204
    status, _, err = console.call("sec.creteil", "GET", "/admin/accounts?q=beno")
    assert status == 401 and err["error"] == "unauthenticated"
