"""Under attack (SPEC §3): credential stuffing from many addresses, one
attempt each, over many accounts. Per-account lockouts still hold, and the
attack is visible: refused logins counted by reason in /metrics and a
warning in the log once the global rate crosses
login.alert_failures_per_minute."""

import errno
import os
import re
import socket
import subprocess
import time

import pytest

import conftest
from conftest import outbox_messages, run_cli, wait_for_messages
from test_accounts import DEMO_PASSWORD, FAST


def metric(srv, name, labels=""):
    status, _, body = srv.request("GET", "/metrics")
    assert status == 200
    pattern = r"^" + re.escape(name + ("{" + labels + "}" if labels else "")) + r" (\d+)$"
    m = re.search(pattern, body.decode(), re.MULTILINE)
    return int(m.group(1)) if m else None


def test_credential_stuffing_is_locked_out_counted_and_alerted(start_server):
    srv = start_server("--demo.seed", "true", "--http.trusted_proxies", "127.0.0.0/8",
                       "--login.lockout_threshold", "3", "--login.alert_failures_per_minute", "8", *FAST)
    assert metric(srv, "sesame_login_failure_alarm") == 0

    def attempt(i, identifier, password):
        status, _, body = srv.json("POST", "/api/v1/session",
                                   body={"identifier": identifier, "password": password},
                                   headers={"X-Forwarded-For": "198.51.100.%d" % (i + 1)})
        return status, body

    # One attempt per address: no address limit is ever reached...
    statuses = [attempt(i, "m.dupont", "stuffed-password-%d" % i)[0] for i in range(5)]
    # ... but the account locks after 3 wrong passwords, whatever the address.
    assert statuses[:3] == [401, 401, 401] and statuses[3:] == [423, 423]
    assert attempt(10, "m.dupont", DEMO_PASSWORD)[0] == 423
    for i in range(6):
        status, body = attempt(20 + i, "inconnu%d.stuffing" % i, "stuffed-password")
        assert status == 401 and body["error"] == "invalid_credentials"

    assert metric(srv, "sesame_login_failures_total", 'reason="wrong_password"') == 3
    assert metric(srv, "sesame_login_failures_total", 'reason="locked"') == 3
    assert metric(srv, "sesame_login_failures_total", 'reason="unknown_identifier"') == 6
    # 12 refusals in the minute, past the threshold of 8: one warning, the gauge up.
    assert srv.wait_for_event(lambda e: e.get("event") == "login_failure_alert" and e.get("threshold") == 8)
    assert len(srv.events("login_failure_alert")) == 1
    assert metric(srv, "sesame_login_failure_alarm") == 1
    # A right password elsewhere still works, and is counted.
    assert attempt(40, "l.dupont", DEMO_PASSWORD)[0] == 200
    assert metric(srv, "sesame_login_successes_total") == 1


NOT_MOBILES = ["08 99 12 34 56", "01 45 67 89 01", "+44 7700 900123", "09 70 12 34 56", "+33 8 99 12 34 56"]


def test_sms_pumping_no_sms_to_premium_fixed_or_foreign_numbers(start_server, tmp_path):
    # Import: every such phone is a refused row, reported with its line.
    csv_path = tmp_path / "parents.csv"
    lines = ["profile,external_id,last_name,first_name,establishment,phone"]
    lines += ["parent,P%d,Martin,Paul,0751234A,%s" % (i, n) for i, n in enumerate(NOT_MOBILES)]
    lines += ["parent,OK1,Martin,Léa,0751234A,06 11 22 33 44"]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = str(tmp_path / "data")
    proc = run_cli("import", "--store.path", store, str(csv_path), *FAST)
    assert proc.returncode == 1
    for line in range(2, 2 + len(NOT_MOBILES)):
        assert "ligne %d" % line in proc.stderr, proc.stderr
    assert proc.stdout.count("\n") == 2  # header + the one good row
    srv = start_server("--demo.seed", "true", "--limits.sends_per_destination", "2/1h", *FAST, store=store)
    # Typed at the public routes: 400, nothing stored, nothing sent.
    for n in NOT_MOBILES:
        status, _, err = srv.json("POST", "/api/v1/activation", body={"phone": n})
        assert status == 400 and err["field"] == "phone", n
        status, _, err = srv.json("POST", "/api/v1/recovery/identifier", body={"profile": "parent", "phone": n})
        assert status == 400 and err["field"] == "phone", n
    # A destination past its cap: accepted as usual, not sent, counted.
    for _ in range(3):
        assert srv.json("POST", "/api/v1/recovery/identifier",
                        body={"profile": "parent", "phone": "06 12 34 56 78"})[0] == 202
    # The refusal is decided in the request itself: counted before its 202.
    assert metric(srv, "sesame_sends_refused_total", 'reason="destination_limit"') == 1
    assert metric(srv, "sesame_sends_refused_total", 'reason="sms_hourly_limit"') == 0


@pytest.fixture
def small_disk(tmp_path):
    """A 12 MiB tmpfs mounted for the test (root only), unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + done.stderr.decode())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(path):
    """Writes zeros into `path` until the filesystem is full."""
    with open(path, "wb") as f:
        block = b"\0" * (1 << 20)
        try:
            while True:
                f.write(block)
                f.flush()
        except OSError as e:
            assert e.errno == errno.ENOSPC
    # Whatever the last partial write left: take it too.
    try:
        with open(str(path) + ".2", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass


def test_a_full_disk_answers_503_then_recovers_by_itself(start_server, small_disk):
    srv = start_server("--demo.seed", "true", "--store.memtable_bytes", "1048576", "--recovery.resend_cooldown", "1s",
                       "--limits.recovery_per_ip", "1000000", *FAST, store=str(small_disk / "data"))
    assert srv.request("GET", "/readyz")[0] == 200
    fill(small_disk / "filler")
    # Decoy requests (each a synced write) until the store refuses: at most
    # a few thousand, as RocksDB first uses the WAL space it preallocated.
    refused = None
    for i in range(30000):
        status, r, body = srv.json("POST", "/api/v1/recovery/password",
                                   body={"identifier": "plein%d" % i, "profile": "parent"})
        if status != 202:
            refused = (status, r, body)
            break
    assert refused is not None, "the store never refused a write on a full disk"
    status, r, body = refused
    assert status == 503 and body["error"] == "overloaded" and int(r.getheader("Retry-After")) >= 1
    assert srv.request("GET", "/readyz")[0] == 503
    sms_before = len([m for m in outbox_messages(srv.store) if m["to"] == "+33612345678"])
    status, _, body = srv.json("POST", "/api/v1/recovery/password", body={"identifier": "m.dupont", "profile": "parent"})
    assert status == 503 and body["error"] == "overloaded"
    assert srv.proc.poll() is None  # no crash
    # Space comes back: service resumes by itself (RocksDB's recovery, then ours).
    os.remove(small_disk / "filler")
    if os.path.exists(str(small_disk / "filler") + ".2"):
        os.remove(str(small_disk / "filler") + ".2")
    deadline = time.monotonic() + 30
    while srv.request("GET", "/readyz")[0] != 200:
        assert time.monotonic() < deadline, "the store did not become writable again"
        time.sleep(0.2)
    # The refused request left nothing behind; a new one goes through.
    assert len([m for m in outbox_messages(srv.store) if m["to"] == "+33612345678"]) == sms_before
    status, _, body = srv.json("POST", "/api/v1/recovery/password", body={"identifier": "m.dupont", "profile": "parent"})
    if status == 429:
        time.sleep(body["retry_after"])
        status, _, body = srv.json("POST", "/api/v1/recovery/password", body={"identifier": "m.dupont", "profile": "parent"})
    assert status == 202
    assert wait_for_messages(srv.store, lambda m: m["to"] == "+33612345678" and m["reference"] == body["reference"])
    assert srv.events("store_not_writable") and srv.events("store_writable_again")


def connect_from(srv, source, timeout=5):
    s = socket.create_connection((srv.host, srv.port), timeout=timeout, source_address=(source, 0))
    return s


def get_until_close(srv, source, path):
    """GET `path` from `source` with Connection: close; the whole answer."""
    c = connect_from(srv, source)
    c.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    c.close()
    return data


def closed_at_once(s):
    """True when the server closed the socket without answering."""
    s.settimeout(2)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_slowloris_from_one_address_cannot_take_the_server(start_server):
    srv = start_server("--http.max_connections_per_ip", "20", "--http.read_timeout", "10s")
    trickling = []
    for _ in range(20):
        s = connect_from(srv, "127.0.0.1")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
        trickling.append(s)
    # The 21st connection from that address is closed at once...
    extra = connect_from(srv, "127.0.0.1")
    assert closed_at_once(extra)
    # ... while another address is served normally, and quickly.
    for _ in range(20):
        data = get_until_close(srv, "127.0.0.2", "/healthz")
        assert data.startswith(b"HTTP/1.1 200"), data
    # Slow readers: ask for the metrics page and read it a byte at a time.
    slow = []
    for _ in range(5):
        c = connect_from(srv, "127.0.0.3")
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.recv(1)
        slow.append(c)
    text = get_until_close(srv, "127.0.0.2", "/metrics").decode("utf-8", "replace")
    assert re.search(r'^sesame_http_connections_refused_total\{limit="per_ip"\} ([1-9]\d*)$', text, re.MULTILINE)
    for s in trickling + slow + [extra]:
        s.close()
    # After they leave (the server sees each close on its pending read), the
    # address may connect again.
    deadline = time.monotonic() + 10
    while True:
        again = connect_from(srv, "127.0.0.1")
        again.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        try:
            answer = again.recv(64)
        except ConnectionResetError:
            answer = b""
        again.close()
        if answer.startswith(b"HTTP/1.1 200"):
            break
        assert time.monotonic() < deadline, "the address stayed refused after its connections closed"


def test_file_descriptors_are_sized_at_start(start_server):
    srv = start_server()
    [ev] = srv.events("file_descriptors")
    assert ev["soft_limit"] >= ev["soft_limit_before"] and ev["soft_limit"] == ev["hard_limit"]


CRASH_ROUNDS = int(os.environ.get("SESAME_CRASH_ROUNDS", "3"))


def check_store(store):
    proc = run_cli("check", "--store.path", store)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "cohérent" in proc.stdout
    return proc.stdout


def test_kill_9_at_random_moments_leaves_a_consistent_store(start_server, tmp_path):
    """kill -9 during an import, a recovery burst and a delivery burst, at a
    random moment each round; after each, `sesame check` finds the store
    consistent and a server starts on it. (bench/crash_rounds.sh runs 20
    rounds of each.)"""
    import random
    rng = random.Random(7)
    store = str(tmp_path / "data")
    csv_path = tmp_path / "accounts.csv"
    rows = ["profile,external_id,last_name,first_name,establishment,phone"]
    rows += ["parent,K%d,Nom%s,Prénom,0751234A,06%08d" % (i, chr(97 + i % 26), i) for i in range(20000)]
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for _ in range(CRASH_ROUNDS):
        # An import killed part way.
        proc = subprocess.Popen([conftest.BIN, "import", "--store.path", store, str(csv_path), "--out", os.devnull,
                                 *FAST], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.6))  # a random moment, not a synchronisation
        proc.kill()
        proc.wait()
        check_store(store)
        # A recovery burst, killed at a random moment.
        srv = start_server("--demo.seed", "true", "--limits.recovery_per_ip", "1000000", *FAST, store=store)
        stop = time.monotonic() + rng.uniform(0.2, 0.8)
        i = 0
        while time.monotonic() < stop:
            srv.json("POST", "/api/v1/recovery/password", body={"identifier": "nomb.%d" % i, "profile": "parent"})
            srv.json("POST", "/api/v1/recovery/identifier", body={"profile": "parent", "phone": "06%08d" % i})
            i += 1
        srv.proc.kill()
        srv.proc.wait()
        check_store(store)
    # The store still serves after all that.
    srv = start_server(*FAST, store=store)
    assert srv.request("GET", "/readyz")[0] == 200
