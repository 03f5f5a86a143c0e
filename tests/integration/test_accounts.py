"""Accounts and login over HTTP against the real binary (issue: accounts)."""

import csv
import io
import json
import os
import threading
import time

import pytest

from conftest import run_cli

FAST = ["--password.argon2_memory_kib", "64", "--password.argon2_iterations", "1"]
DEMO_PASSWORD = "Sesame-demo-2026!"
STRONG = "cheval-lune-piano-92"
STRONG2 = "violon-nuage-tortue-47"
STRONG3 = "girafe-orage-citron-31"


def login(srv, identifier, password, **extra):
    status, r, body = srv.json("POST", "/api/v1/session", body={"identifier": identifier, "password": password, **extra})
    cookie = None
    set_cookie = r.getheader("Set-Cookie")
    if set_cookie:
        cookie = set_cookie.split(";", 1)[0]
    return status, r, body, cookie


def write_csv(path, rows, sep=",", bom=False):
    header = ["profile", "external_id", "last_name", "first_name", "establishment", "class", "birth_date", "phone",
              "email", "children"]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(h, "") for h in header])
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        f.write(buf.getvalue())


def read_credentials(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def demo(start_server):
    return start_server("--demo.seed", "true", *FAST)


def test_unknown_identifier_and_wrong_password_look_the_same(demo):
    s1, r1, b1, c1 = login(demo, "m.dupont", "not-the-password")
    s2, r2, b2, c2 = login(demo, "personne.inconnue", "not-the-password")
    assert s1 == s2 == 401
    assert b1 == b2 and b1["error"] == "invalid_credentials"
    assert c1 is None and c2 is None


def test_login_is_case_insensitive_and_sets_a_safe_cookie(demo):
    status, r, body, cookie = login(demo, "  M.Dupont ", DEMO_PASSWORD)
    assert status == 200, body
    assert body["identifier"] == "m.dupont" and body["profile"] == "parent"
    assert body["must_change_password"] is False and body["expires_at"].endswith("Z")
    attrs = r.getheader("Set-Cookie")
    assert attrs.startswith("sesame_session=") and "HttpOnly" in attrs and "SameSite=Lax" in attrs
    assert "Path=/" in attrs and "Secure" not in attrs
    status, _, me = demo.json("GET", "/api/v1/me", cookie=cookie)
    assert status == 200 and me["identifier"] == "m.dupont"
    assert me["phone_masked"].endswith("78") and "12 34" not in me["phone_masked"]


def test_secure_cookie_when_configured(start_server):
    srv = start_server("--demo.seed", "true", "--http.secure_cookies", "true", *FAST)
    _, r, _, _ = login(srv, "m.dupont", DEMO_PASSWORD)
    assert "Secure" in r.getheader("Set-Cookie")


def test_me_without_session_is_401(demo):
    status, _, body = demo.json("GET", "/api/v1/me")
    assert status == 401 and body["error"] == "unauthenticated"
    status, _, body = demo.json("GET", "/api/v1/me", cookie="sesame_session=forged")
    assert status == 401


def test_logout_kills_the_session(demo):
    _, _, _, cookie = login(demo, "m.dupont", DEMO_PASSWORD)
    status, r, _ = demo.request("DELETE", "/api/v1/session", cookie=cookie)
    assert status == 204 and "Max-Age=0" in r.getheader("Set-Cookie")
    status, _, _ = demo.json("GET", "/api/v1/me", cookie=cookie)
    assert status == 401


def test_lockout_refuses_right_password_then_lifts(start_server):
    srv = start_server("--demo.seed", "true", "--login.lockout_threshold", "5", "--login.lockout_duration", "1s", *FAST)
    for _ in range(5):
        status, _, body, _ = login(srv, "m.dupont", "wrong-password")
        assert status == 401
    status, _, body, _ = login(srv, "m.dupont", DEMO_PASSWORD)
    assert status == 423 and body["error"] == "account_locked" and body["locked_until"].endswith("Z")
    # The lock lifts when its time passes: poll (attempts during a lock neither count nor extend it).
    deadline = time.monotonic() + 15
    while True:
        status, _, body, _ = login(srv, "m.dupont", DEMO_PASSWORD)
        if status == 200 or time.monotonic() > deadline:
            break
        assert status == 423
        time.sleep(0.2)
    assert status == 200
    _, _, _, cookie = login(srv, "m.dupont", DEMO_PASSWORD)
    _, _, act = srv.json("GET", "/api/v1/me/activity?limit=100", cookie=cookie)
    types = [e["type"] for e in act["events"]]
    assert "account_locked" in types and types.count("login_failed") == 5


def test_hard_lock_has_no_end(start_server):
    srv = start_server("--demo.seed", "true", "--login.lockout_threshold", "100", "--login.hard_lock_threshold", "3",
                       *FAST)
    for _ in range(3):
        assert login(srv, "l.dupont", "wrong-password")[0] == 401
    status, _, body, _ = login(srv, "l.dupont", DEMO_PASSWORD)
    assert status == 423 and body["locked_until"] is None


def test_login_failures_per_address_answer_429_even_with_the_right_password(start_server):
    srv = start_server("--demo.seed", "true", "--limits.login_failures_per_ip", "3/1h", *FAST)
    for _ in range(3):
        assert login(srv, "nobody", "wrong")[0] == 401
    status, r, body, _ = login(srv, "m.dupont", DEMO_PASSWORD)
    assert status == 429 and body["error"] == "rate_limited"
    assert int(r.getheader("Retry-After")) >= 1 and body["retry_after"] >= 1


def test_password_change_then_next_login_succeeds(demo):
    _, _, _, cookie = login(demo, "m.dupont", DEMO_PASSWORD)
    _, _, _, other = login(demo, "m.dupont", DEMO_PASSWORD)
    status, _, body = demo.json("POST", "/api/v1/me/password",
                                body={"current_password": DEMO_PASSWORD, "new_password": STRONG}, cookie=cookie)
    assert status == 204, body
    status, _, body, _ = login(demo, "m.dupont", STRONG)
    assert status == 200, body
    assert login(demo, "m.dupont", DEMO_PASSWORD)[0] == 401
    # The change revoked every other session, not the current one.
    assert demo.json("GET", "/api/v1/me", cookie=other)[0] == 401
    assert demo.json("GET", "/api/v1/me", cookie=cookie)[0] == 200


def test_weak_and_reused_passwords_are_refused(demo):
    _, _, _, cookie = login(demo, "m.dupont", DEMO_PASSWORD)

    def change(current, new):
        return demo.json("POST", "/api/v1/me/password", body={"current_password": current, "new_password": new},
                         cookie=cookie)

    status, _, body = change(DEMO_PASSWORD, "azertyuiop123")
    assert status == 422 and body["error"] == "weak_password" and body["reasons"]
    status, _, body = change(DEMO_PASSWORD, "court")
    assert status == 422 and any("12 caractères" in r for r in body["reasons"])
    status, _, body = change(DEMO_PASSWORD, "marie-dupont-2026-xyz")
    assert status == 422
    status, _, body = change(DEMO_PASSWORD, DEMO_PASSWORD)
    assert status == 422 and any("déjà utilisé" in r for r in body["reasons"])
    assert change(DEMO_PASSWORD, STRONG)[0] == 204
    assert change(STRONG, STRONG2)[0] == 204
    status, _, body = change(STRONG2, DEMO_PASSWORD)  # two changes ago: still in the history
    assert status == 422 and any("déjà utilisé" in r for r in body["reasons"])
    status, _, body = change("wrong-current", STRONG3)
    assert status == 401 and body["error"] == "invalid_credentials"


def test_revoking_other_sessions_kills_them(demo):
    _, _, _, a = login(demo, "l.dupont", DEMO_PASSWORD)
    _, _, _, b = login(demo, "l.dupont", DEMO_PASSWORD)
    status, _, listing = demo.json("GET", "/api/v1/me/sessions", cookie=a)
    assert status == 200 and len(listing["sessions"]) == 2
    assert sum(1 for s in listing["sessions"] if s["current"]) == 1
    assert demo.request("DELETE", "/api/v1/me/sessions", cookie=a)[0] == 204
    assert demo.json("GET", "/api/v1/me", cookie=b)[0] == 401
    assert demo.json("GET", "/api/v1/me", cookie=a)[0] == 200


def test_revoking_one_session_by_id(demo):
    _, _, _, a = login(demo, "l.dupont", DEMO_PASSWORD)
    _, _, _, b = login(demo, "l.dupont", DEMO_PASSWORD)
    _, _, listing = demo.json("GET", "/api/v1/me/sessions", cookie=a)
    other = [s["id"] for s in listing["sessions"] if not s["current"]][0]
    assert demo.request("DELETE", "/api/v1/me/sessions/" + other, cookie=a)[0] == 204
    assert demo.json("GET", "/api/v1/me", cookie=b)[0] == 401
    status, _, body = demo.json("DELETE", "/api/v1/me/sessions/" + other, cookie=a)
    assert status == 404 and body["error"] == "not_found"


def test_activity_is_newest_first_with_paging(demo):
    login(demo, "m.dupont", "wrong-1")
    login(demo, "m.dupont", "wrong-2")
    _, _, _, cookie = login(demo, "m.dupont", DEMO_PASSWORD)
    status, _, page = demo.json("GET", "/api/v1/me/activity?limit=2", cookie=cookie)
    assert status == 200 and [e["type"] for e in page["events"]] == ["login_succeeded", "login_failed"]
    assert page["next"]
    e = page["events"][0]
    assert e["ip"] == "127.0.0.1" and e["at"].endswith("Z") and "user_agent" in e and "actor" in e
    status, _, page2 = demo.json("GET", "/api/v1/me/activity?limit=2&before=" + page["next"], cookie=cookie)
    assert status == 200 and [e["type"] for e in page2["events"]] == ["login_failed"]
    assert page2["next"] is None
    assert demo.json("GET", "/api/v1/me/activity?limit=0", cookie=cookie)[0] == 400


def test_activation_code_forces_a_password_change(demo):
    status, _, body, cookie = login(demo, "e.martin", "essa-yezm-2345-6789")
    assert status == 200 and body["must_change_password"] is True
    assert demo.json("GET", "/api/v1/me", cookie=cookie)[0] == 200
    status, _, body = demo.json("GET", "/api/v1/me/sessions", cookie=cookie)
    assert status == 403 and body["error"] == "password_change_required"
    status, _, body = demo.json("POST", "/api/v1/me/password",
                                body={"current_password": "ESSA-YEZM-2345-6789", "new_password": STRONG}, cookie=cookie)
    assert status == 204
    assert demo.json("GET", "/api/v1/me/sessions", cookie=cookie)[0] == 200
    _, _, act = demo.json("GET", "/api/v1/me/activity", cookie=cookie)
    assert act["events"][0]["type"] == "activation_completed"
    # The activation code no longer works; the new password does.
    assert login(demo, "e.martin", "ESSA-YEZM-2345-6789")[0] == 401
    assert login(demo, "e.martin", STRONG)[0] == 200


def test_full_hash_queue_answers_503_while_healthz_answers(start_server):
    srv = start_server("--demo.seed", "true", "--workers.hash_threads", "1", "--workers.hash_queue", "1",
                       "--password.argon2_memory_kib", "65536", "--password.argon2_iterations", "4")
    results = []
    barrier = threading.Barrier(16)

    def attempt():
        barrier.wait()
        status, r, body, _ = login(srv, "m.dupont", "wrong-password-%d" % threading.get_ident())
        results.append((status, r.getheader("Retry-After"), body))

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    health = [srv.request("GET", "/healthz")[0] for _ in range(5)]
    for t in threads:
        t.join()
    assert health == [200] * 5
    overloaded = [r for r in results if r[0] == 503]
    assert overloaded, [r[0] for r in results]
    assert all(r[1] and int(r[1]) >= 1 and r[2]["error"] == "overloaded" for r in overloaded)
    assert all(r[0] in (401, 503) for r in results)


def test_import_cli_creates_updates_and_reports_bad_rows(tmp_path, start_server):
    store = str(tmp_path / "store")
    src = str(tmp_path / "eleves.csv")
    rows = [
        {"profile": "eleve", "external_id": "INE001", "last_name": "Lefèvre", "first_name": "Éloïse",
         "establishment": "0751234A", "class": "5e C", "birth_date": "2013-05-02", "email": "eloise@example.fr"},
        {"profile": "eleve", "external_id": "INE002", "last_name": "Lefevre", "first_name": "Emile",
         "establishment": "0751234A", "class": "3e A", "birth_date": "2011-01-20"},
        {"profile": "parent", "external_id": "P001", "last_name": "Le Bœuf-Martin", "first_name": "Anne",
         "establishment": "0751234A", "phone": "06 11 22 33 44", "children": "INE001|INE002"},
        {"profile": "parent", "external_id": "P002", "last_name": "Sans", "first_name": "Téléphone",
         "establishment": "0751234A"},
        {"profile": "prof", "external_id": "X1", "last_name": "A", "first_name": "B", "establishment": "0751234A"},
    ]
    write_csv(src, rows, sep=";", bom=True)
    out = str(tmp_path / "codes.csv")
    r = run_cli("import", "--store.path", store, src, "--out", out)
    assert r.returncode == 1, r.stderr
    assert "ligne 5" in r.stderr and "ligne 6" in r.stderr and "3 comptes créés" in r.stderr
    creds = read_credentials(out)
    assert [c["identifier"] for c in creds] == ["e.lefevre", "e.lefevre1", "a.leboeufmartin"]
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    # Re-import updates in place: no new account, no new code.
    rows[1]["class"] = "3e B"
    write_csv(src, rows[:3])
    r = run_cli("import", "--store.path", store, src, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "0 comptes créés, 3 mis à jour" in r.stderr and read_credentials(out) == []
    # The first code still works as the first password.
    srv = start_server(*FAST, store=store)
    status, _, body, _ = login(srv, "e.lefevre", creds[0]["activation_code"])
    assert status == 200 and body["must_change_password"] is True
    # While a server holds the store, import refuses with a clear message.
    r = run_cli("import", "--store.path", store, src)
    assert r.returncode == 1 and "déjà utilisée" in r.stderr


def test_import_cli_header_error_and_usage(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text("profile,external_id,last_name\neleve,1,X\n")
    r = run_cli("import", "--store.path", str(tmp_path / "s"), str(src))
    assert r.returncode == 1 and "establishment" in r.stderr
    r = run_cli("import", "--store.path", str(tmp_path / "s"))
    assert r.returncode == 2


def test_no_password_or_code_in_the_log(demo):
    login(demo, "m.dupont", DEMO_PASSWORD)
    login(demo, "e.martin", "ESSA-YEZM-2345-6789")
    demo.terminate()
    text = demo.log_text()
    assert DEMO_PASSWORD not in text and "ESSA-YEZM" not in text and "sesame_session=" not in text
