"""The HTTP chassis: limits, errors, deadlines, shutdown (issue: foundation)."""

import json
import os
import select
import signal
import socket
import ssl
import subprocess
import time

from conftest import run_cli


def test_healthz_readyz_metrics(server):
    status, r, body = server.request("GET", "/healthz")
    assert status == 200 and body == b"ok\n"
    status, _, _ = server.request("GET", "/readyz")
    assert status == 200
    status, r, body = server.request("GET", "/metrics")
    assert status == 200
    text = body.decode()
    assert 'sesame_http_requests_total{route="/healthz",status="200"} 1' in text
    assert "sesame_http_request_duration_seconds_bucket" in text
    assert "sesame_http_open_connections" in text


def test_unknown_api_path_is_json_404_and_page_is_html(server):
    status, r, body = server.json("GET", "/api/v1/does-not-exist")
    assert status == 404 and body["error"] == "not_found" and body["message"]
    status, r, body = server.request("GET", "/nulle-part")
    assert status == 404 and r.getheader("Content-Type").startswith("text/html")
    assert b"Page introuvable" in body


def test_wrong_method_is_405_with_allow(server):
    status, r, body = server.json("POST", "/healthz", body={})
    assert status == 405 and body["error"] == "method_not_allowed"
    assert "GET" in r.getheader("Allow")


def test_oversized_body_is_413_json(server):
    big = json.dumps({"identifier": "x" * (70 * 1024), "password": "y"})
    status, r, body = server.json("POST", "/api/v1/session", body=big, headers={"Content-Type": "application/json"})
    assert status == 413 and body["error"] == "body_too_large"


def test_oversized_chunked_body_is_413_json(server):
    chunk = b"x" * 8192
    payload = b"POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    payload += (b"2000\r\n" + chunk + b"\r\n") * 10 + b"0\r\n\r\n"
    out = server.raw(payload)
    assert out.startswith(b"HTTP/1.1 413"), out[:200]
    assert b'"error":"body_too_large"' in out


def test_wrong_content_type_is_415(server):
    status, r, body = server.json("POST", "/api/v1/session", body="identifier=a&password=b",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415 and body["error"] == "unsupported_media_type"


def test_malformed_json_is_400_with_field(server):
    status, r, body = server.json("POST", "/api/v1/session", body="{not json", headers={"Content-Type": "application/json"})
    assert status == 400 and body["error"] == "invalid_request"
    status, r, body = server.json("POST", "/api/v1/session", body={"identifier": 12, "password": "x"})
    assert status == 400 and body["field"] == "identifier"


def test_malformed_request_line_is_400_json(server):
    out = server.raw(b"GARBAGE\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400"), out[:200]
    body = out.split(b"\r\n\r\n", 1)[1]
    assert json.loads(body)["error"] == "invalid_request"


def test_huge_header_is_431(server):
    payload = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * (64 * 1024) + b"\r\n\r\n"
    out = server.raw(payload)
    assert out.startswith(b"HTTP/1.1 431"), out[:200]
    assert b'"error":"header_too_large"' in out


def test_foreign_origin_is_403(server):
    status, r, body = server.json("POST", "/api/v1/session", body={"identifier": "a", "password": "b"},
                                  headers={"Origin": "https://evil.example"})
    assert status == 403 and body["error"] == "bad_origin"


def test_keep_alive_serves_several_requests_on_one_connection(server):
    c = server.conn()
    for _ in range(5):
        c.request("GET", "/healthz")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"ok\n"
    c.close()


def test_slow_client_is_dropped_and_never_delays_others(start_server):
    srv = start_server("--http.read_timeout", "1s")
    slow = socket.create_connection((srv.host, srv.port), timeout=30)
    slow.sendall(b"GET /healthz HTTP/1.1\r\n")
    # Another client is served while the slow one is still connected.
    status, _, body = srv.request("GET", "/healthz")
    assert status == 200 and body == b"ok\n"
    readable, _, _ = select.select([slow], [], [], 0)
    assert not readable, "the slow client was closed before the other client was served"
    # One byte every 200 ms: the header deadline is whole, so the server
    # closes the connection long before a 200-byte header could complete.
    closed = False
    sent = 0
    for _ in range(200):
        try:
            slow.sendall(b"X")
            sent += 1
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        readable, _, _ = select.select([slow], [], [], 0.2)
        if readable:
            try:
                closed = slow.recv(4096) == b""
            except ConnectionResetError:
                closed = True
            if closed:
                break
    slow.close()
    assert closed and sent < 200


def test_idle_keep_alive_connection_is_closed(start_server):
    srv = start_server("--http.idle_timeout", "1s")
    s = socket.create_connection((srv.host, srv.port), timeout=30)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"ok\n" not in data:
        data += s.recv(4096)
    assert data.startswith(b"HTTP/1.1 200")
    assert s.recv(4096) == b""  # blocks until the server closes the idle connection
    s.close()


def test_sigterm_lets_an_in_flight_request_finish(start_server):
    srv = start_server("--http.read_timeout", "10s")
    s = socket.create_connection((srv.host, srv.port), timeout=30)
    body = b'{"identifier":"a","password":"b"}'
    s.sendall(b"POST /api/v1/nope HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: "
              + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
    # Make sure the server has started reading this request before the signal.
    time_limit = 10
    assert srv.wait_for_event(lambda e: e.get("event") == "listening", time_limit)
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.wait_for_event(lambda e: e.get("event") == "shutdown_requested", time_limit)
    s.sendall(body[10:])
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 404"), data[:200]
    assert b"Connection: close" in data
    assert srv.proc.wait(timeout=30) == 0
    assert srv.events("stopped")


def test_sigterm_with_idle_connections_exits_promptly(start_server):
    srv = start_server("--http.idle_timeout", "60s", "--http.shutdown_timeout", "30s")
    c = srv.conn()
    c.request("GET", "/healthz")
    assert c.getresponse().read() == b"ok\n"
    # The idle keep-alive connection must not hold the shutdown for 60 s:
    # it is closed at once, and the server exits 0 well within its bounds.
    assert srv.terminate() == 0
    c.close()


def test_second_server_on_same_store_exits_1(start_server):
    first = start_server()
    r = subprocess.run([os.environ.get("SESAME_BIN", "build/sesame"), "serve", "--store.path", first.store,
                        "--http.listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "déjà utilisée" in r.stderr


def test_backup_while_running_opens_as_a_store(start_server, tmp_path):
    srv = start_server()
    dest = str(tmp_path / "backup")
    r = run_cli("backup", "--store.path", srv.store, "--to", dest)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(dest, "CURRENT"))
    # The backup opens as a working store while the original still runs.
    copy = start_server(store=dest)
    status, _, body = copy.request("GET", "/readyz")
    assert status == 200
    # A second backup to the same place is refused.
    r = run_cli("backup", "--store.path", srv.store, "--to", dest)
    assert r.returncode == 1 and "existe déjà" in r.stderr


def control_client(srv):
    """A local client of the running server's control socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.join(srv.store, "control.sock"))
    return s


def test_silent_control_client_is_dropped_and_backups_still_go_through(start_server, tmp_path):
    srv = start_server("--http.read_timeout", "1s")
    silent = control_client(srv)
    # The channel serves one client at a time: the backup waits behind the
    # silent one until its read deadline closes it, then goes through.
    r = run_cli("backup", "--store.path", srv.store, "--to", str(tmp_path / "backup"), timeout=60)
    assert r.returncode == 0, r.stderr
    silent.settimeout(30)
    assert silent.recv(64) == b""  # closed by the server, not answered
    silent.close()


def test_sigterm_with_a_silent_control_client_exits_promptly(start_server):
    # A read deadline far beyond the wait below: only the shutdown closing
    # the control connection can let the server exit in time.
    srv = start_server("--http.read_timeout", "300s")
    silent = control_client(srv)
    assert srv.terminate(timeout=20) == 0
    assert srv.events("stopped")
    silent.close()


def test_backup_of_stopped_store(start_server, tmp_path):
    srv = start_server()
    assert srv.terminate() == 0
    dest = str(tmp_path / "cold")
    r = run_cli("backup", "--store.path", srv.store, "--to", dest)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(dest, "CURRENT"))


def test_trusted_proxy_forwarded_for(start_server):
    trusting = start_server("--http.trusted_proxies", "127.0.0.0/8")
    trusting.request("GET", "/healthz", headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.7"})
    assert trusting.wait_for_event(lambda e: e.get("event") == "request" and e.get("client") == "203.0.113.7")
    plain = start_server()
    plain.request("GET", "/healthz", headers={"X-Forwarded-For": "203.0.113.7"})
    assert plain.wait_for_event(lambda e: e.get("event") == "request" and e.get("route") == "/healthz")
    assert all(e["client"] == "127.0.0.1" for e in plain.events("request"))


def test_request_log_line_has_no_query_secret_or_cookie(server):
    server.request("GET", "/api/v1/hooks/sms-status?secret=TOPSECRET123", cookie="sesame_session=COOKIEVALUE42")
    assert server.wait_for_event(lambda e: e.get("event") == "request" and e.get("status") in (401, 404, 405))
    log = server.log_text()
    assert "TOPSECRET123" not in log and "COOKIEVALUE42" not in log


def test_tls(start_server, tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    srv = start_server("--http.tls_cert", cert, "--http.tls_key", key, "--http.public_url", "https://127.0.0.1")
    ctx = ssl.create_default_context(cafile=cert)
    ctx.check_hostname = False
    import http.client
    c = http.client.HTTPSConnection(srv.host, srv.port, context=ctx, timeout=10)
    c.request("GET", "/healthz")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"ok\n"
    c.close()
    # Plain HTTP on the TLS port gets nothing useful.
    out = srv.raw(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", timeout=5)
    assert not out.startswith(b"HTTP/1.1 200")


def test_cli_exit_codes(tmp_path):
    assert run_cli("version").returncode == 0
    r = run_cli("check-config", "--http.read_timeout", "5x")
    assert r.returncode == 2 and "http.read_timeout" in r.stderr
    r = run_cli("check-config", "--store.path", str(tmp_path / "d"))
    assert r.returncode == 0 and "http.listen = 127.0.0.1:8080" in r.stdout
    r = run_cli("nonsense")
    assert r.returncode == 2
    for cmd in ("serve", "import", "staff", "backup", "check-config", "version"):
        r = run_cli(cmd, "--help")
        assert r.returncode == 0 and "Usage" in r.stdout, cmd
    r = run_cli("serve", "--http.listen", "nonsense")
    assert r.returncode == 2 and "http.listen" in r.stderr


def test_config_file_env_and_flag_precedence(tmp_path):
    conf = tmp_path / "sesame.conf"
    conf.write_text("[http]\nlisten = 127.0.0.1:1111\nread_timeout = 5s\nidle_timeout = 7s\n")
    env = {**os.environ, "SESAME_HTTP_READ_TIMEOUT": "6s", "SESAME_HTTP_IDLE_TIMEOUT": "8s"}
    r = subprocess.run([os.environ.get("SESAME_BIN", "build/sesame"), "check-config", "--config", str(conf),
                        "--http.idle_timeout", "9s"], capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "http.listen = 127.0.0.1:1111" in r.stdout
    assert "http.read_timeout = 6s" in r.stdout
    assert "http.idle_timeout = 9s" in r.stdout
