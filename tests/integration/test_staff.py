"""`sesame staff add` and the staff login with password + TOTP (RFC 6238)
against the real binary. The TOTP codes are computed here, independently of
the server's liboath."""

import base64
import hashlib
import hmac
import struct
import time
import urllib.parse

from conftest import run_cli
from test_accounts import FAST, STRONG, login


def staff_add(store, *args):
    return run_cli("staff", "add", "--store.path", store, *FAST, *args)


def enrolment(proc):
    """(provisional password, otpauth URI) from the two lines API.md promises."""
    lines = proc.stdout.splitlines()
    assert len(lines) == 2, proc.stdout
    assert lines[0].startswith("password: ") and lines[1].startswith("totp: ")
    return lines[0][len("password: "):], lines[1][len("totp: "):]


def totp(uri, at=None, step_offset=0):
    parsed = urllib.parse.urlparse(uri)
    query = urllib.parse.parse_qs(parsed.query)
    secret = query["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((at if at is not None else time.time()) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1_000_000)


def test_staff_add_prints_password_and_totp_uri(tmp_path):
    store = str(tmp_path / "data")
    proc = staff_add(store, "--login", "Mme.Durand", "--role", "secretariat", "--scope", "0751234a,0931234X")
    assert proc.returncode == 0, proc.stderr
    password, uri = enrolment(proc)
    assert len(password) >= 16
    parsed = urllib.parse.urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert urllib.parse.unquote(parsed.path) == "/Sésame:mme.durand"
    query = urllib.parse.parse_qs(parsed.query)
    assert query["issuer"] == ["Sésame"]
    assert query["digits"] == ["6"] and query["period"] == ["30"] and query["algorithm"] == ["SHA1"]
    assert len(base64.b32decode(query["secret"][0] + "=" * (-len(query["secret"][0]) % 8))) == 20
    # The secrets are shown once: never on stderr.
    assert password not in proc.stderr and query["secret"][0] not in proc.stderr


def test_staff_add_refusals_and_exit_codes(tmp_path):
    store = str(tmp_path / "data")
    assert staff_add(store, "--login", "adm", "--role", "admin").returncode == 0
    taken = staff_add(store, "--login", "ADM", "--role", "admin")
    assert taken.returncode == 1 and "existe déjà" in taken.stderr and taken.stdout == ""
    for args, word in [(["--login", "x", "--role", "admin"], "--login"),
                       (["--login", "cpe2", "--role", "chef"], "--role"),
                       (["--login", "cpe2", "--role", "vie_scolaire"], "--scope"),
                       (["--login", "cpe2", "--role", "support", "--scope", "Atlantis"], "--scope"),
                       (["--login", "cpe2", "--role", "admin", "--scope", "0751234A"], "--scope")]:
        proc = staff_add(store, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert word in proc.stderr and proc.stdout == ""
    assert run_cli("staff", "list", "--store.path", store).returncode == 2


def test_staff_login_needs_password_and_totp_then_a_new_password(tmp_path, start_server):
    store = str(tmp_path / "data")
    proc = staff_add(store, "--login", "cpe.martin", "--role", "vie_scolaire", "--scope", "0751234A")
    assert proc.returncode == 0, proc.stderr
    password, uri = enrolment(proc)
    srv = start_server(*FAST, store=store)

    status, _, body, cookie = login(srv, "cpe.martin", password)
    assert status == 401 and body["error"] == "otp_required" and cookie is None
    wrong = "%06d" % ((int(totp(uri)) + 1) % 1_000_000)
    status, _, body, cookie = login(srv, "cpe.martin", password, otp=wrong)
    assert status == 401 and body["error"] == "otp_required" and cookie is None
    # A right code with a wrong password is still just invalid credentials.
    status, _, body, _ = login(srv, "cpe.martin", password + "x", otp=totp(uri))
    assert status == 401 and body["error"] == "invalid_credentials"

    code = totp(uri)
    status, _, body, cookie = login(srv, "CPE.Martin", password, otp=code)
    assert status == 200, body
    assert body["identifier"] == "cpe.martin" and body["profile"] == "staff"
    assert body["must_change_password"] is True and cookie
    # A code is accepted once: replaying it is refused even with the password.
    status, _, body, _ = login(srv, "cpe.martin", password, otp=code)
    assert status == 401 and body["error"] == "otp_required"

    status, _, body = srv.json("POST", "/api/v1/me/password", cookie=cookie,
                               body={"current_password": password, "new_password": STRONG})
    assert status == 204, body
    # The next step's code (inside the server's window of one step) is fresh.
    status, _, body, cookie = login(srv, "cpe.martin", STRONG, otp=totp(uri, step_offset=1))
    assert status == 200 and body["must_change_password"] is False

    status, _, body = srv.json("GET", "/api/v1/me/activity", cookie=cookie)
    assert status == 200
    assert "account_created" in [e["type"] for e in body["events"]]


def test_staff_add_refuses_while_a_server_holds_the_store(tmp_path, start_server):
    store = str(tmp_path / "data")
    start_server(*FAST, store=store)
    proc = staff_add(store, "--login", "adm", "--role", "admin")
    assert proc.returncode == 1 and "arrêtez le serveur" in proc.stderr and proc.stdout == ""
