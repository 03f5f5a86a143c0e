"""The SMS gateway client and the delivery-report hook against the real
binary: a loopback gateway (sms_gateway.py) receives the messages, the test
plays the gateway's delivery reports; optionally a real Kannel
(bearerbox + smsbox + fakesmsc) when Debian's kannel package is installed."""

import re
import socket
import urllib.parse

import pytest

from conftest import outbox_messages
from sms_gateway import Gateway
from sms_kannel import Kannel, available as kannel_available

SECRET = "S3cr3t-long-enough"
HOOK = "/api/v1/hooks/sms-status"
PHONE = "+33612345678"  # the demo parent m.dupont
BASE = ["--demo.seed", "true", "--password.argon2_memory_kib", "64", "--password.argon2_iterations", "1",
        "--workers.retry_initial", "1s", "--workers.retry_max", "2s"]


@pytest.fixture
def gateway():
    gws = []

    def make(**kw):
        gw = Gateway(**kw)
        gws.append(gw)
        return gw

    yield make
    for gw in gws:
        gw.stop()


def start_sms(start_server, url, fmt="json", secret=SECRET):
    args = BASE + ["--sms.url", url, "--sms.format", fmt]
    if secret:
        args += ["--sms.callback_secret", secret]
    return start_server(*args)


def ask_code(srv):
    status, _, body = srv.json("POST", "/api/v1/recovery/password", body={"identifier": "m.dupont", "profile": "parent"})
    assert status == 202 and body["channel"] == "sms", body
    return body


def code_in(text):
    m = re.search(r"\b(\d{6})\b", text)
    assert m, text
    return m.group(1)


def hook(secret=SECRET, **params):
    q = {"secret": secret} if secret is not None else {}
    q.update(params)
    return HOOK + "?" + urllib.parse.urlencode(q)


def test_json_gateway_receives_the_code(start_server, gateway):
    gw = gateway()
    srv = start_sms(start_server, gw.url())
    flow = ask_code(srv)
    [req] = gw.wait_for(1)
    assert req["method"] == "POST" and req["path"] == "/send"
    assert req["headers"]["content-type"] == "application/json"
    body = req["json"]
    assert body["to"] == PHONE
    assert re.fullmatch(r"[0-9a-f]{32}", body["message_id"])
    assert body["reference"] == flow["reference"]
    code = code_in(body["text"])
    assert body["text"].endswith("#" + code)  # WebOTP line
    cb = urllib.parse.urlsplit(body["callback_url"])
    assert cb.path == HOOK and urllib.parse.parse_qs(cb.query)["secret"] == [SECRET]
    # Exactly one request: nothing else comes within a retry period.
    assert len(gw.wait_for(2, timeout=3)) == 1
    # Sent to the gateway, not to the file outbox; the code never logged.
    assert [m for m in outbox_messages(srv.store) if m["channel"] == "sms"] == []
    assert not re.search(r"(?<!\d)%s(?!\d)" % code, srv.log_text())
    assert SECRET not in srv.log_text()


def test_gateway_failing_twice_then_succeeding_delivers_once(start_server, gateway):
    gw = gateway(fail_first=2, fail_status=503)
    srv = start_sms(start_server, gw.url())
    ask_code(srv)
    reqs = gw.wait_for(3, timeout=20)
    assert len(reqs) == 3, srv.log_text()
    ids = {r["json"]["message_id"] for r in reqs}
    assert len(ids) == 1  # the same message, its idempotency key kept
    texts = {r["json"]["text"] for r in reqs}
    assert len(texts) == 1
    # Accepted on the third try: no fourth request (retry_max is 2s).
    assert len(gw.wait_for(4, timeout=4)) == 3


def test_json_delivery_reports(start_server, gateway):
    gw = gateway()
    srv = start_sms(start_server, gw.url())
    ask_code(srv)
    [req] = gw.wait_for(1)
    mid = req["json"]["message_id"]
    report = {"message_id": mid, "status": "delivered", "detail": "DELIVRD"}

    status, _, body = srv.json("POST", hook(secret="wrong-secret-value"), body=report)
    assert status == 401 and body["error"] == "unauthenticated"
    status, _, body = srv.json("POST", hook(secret=None), body=report)
    assert status == 401 and body["error"] == "unauthenticated"

    status, _, data = srv.request("POST", hook(), body=report)
    assert status == 204 and data == b""
    assert srv.wait_for_event(lambda e: e.get("event") == "sms_report" and e.get("message_id") == mid
                              and e.get("status") == "delivered")
    assert srv.request("POST", hook(), body=report)[0] == 204  # a repeat is harmless

    status, _, body = srv.json("POST", hook(), body={**report, "message_id": "f" * 32})
    assert status == 404 and body["error"] == "not_found"
    status, _, body = srv.json("POST", hook(), body={**report, "status": "sent"})
    assert status == 400 and body["field"] == "status"
    status, _, body = srv.json("POST", hook(), body={"status": "failed"})
    assert status == 400 and body["field"] == "message_id"
    assert SECRET not in srv.log_text()


def test_reports_refused_without_a_configured_secret(start_server, gateway):
    gw = gateway()
    srv = start_sms(start_server, gw.url(), secret=None)
    ask_code(srv)
    [req] = gw.wait_for(1)
    assert "callback_url" not in req["json"]
    mid = req["json"]["message_id"]
    status, _, body = srv.json("GET", hook(secret="", message_id=mid, status="1"))
    assert status == 401 and body["error"] == "unauthenticated"
    status, _, body = srv.json("POST", hook(secret="anything"), body={"message_id": mid, "status": "delivered"})
    assert status == 401


def test_kannel_sendsms_and_dlr_url(start_server, gateway):
    gw = gateway(style="kannel")
    srv = start_sms(start_server, gw.url("/cgi-bin/sendsms?username=sesame&password=pw"), fmt="kannel")
    ask_code(srv)
    [req] = gw.wait_for(1)
    q = req["query"]
    assert req["method"] == "GET" and req["path"] == "/cgi-bin/sendsms" and req["body"] == b""
    assert q["username"] == "sesame" and q["password"] == "pw"
    assert q["to"] == PHONE and q["charset"] == "UTF-8" and q["dlr-mask"] == "31"
    code_in(q["text"])
    dlr = urllib.parse.urlsplit(q["dlr-url"])
    dq = urllib.parse.parse_qs(dlr.query)
    assert dlr.path == HOOK and dq["secret"] == [SECRET] and dq["status"] == ["%d"]
    mid = dq["message_id"][0]
    assert re.fullmatch(r"[0-9a-f]{32}", mid)

    # Kannel substitutes %d and fetches the URL (on our real port).
    target = dlr.path + "?" + dlr.query.replace("%d", "8")
    assert srv.request("GET", target)[0] == 204
    target = dlr.path + "?" + dlr.query.replace("%d", "1")
    status, _, data = srv.request("GET", target)
    assert status == 204 and data == b""
    assert srv.wait_for_event(lambda e: e.get("event") == "sms_report" and e.get("message_id") == mid
                              and e.get("status") == "delivered")
    status, _, body = srv.json("GET", target.replace(SECRET, "not-the-secret-at-all"))
    assert status == 401 and body["error"] == "unauthenticated"
    status, _, body = srv.json("GET", hook(message_id=mid, status="3"))
    assert status == 400 and body["field"] == "status"
    status, _, body = srv.json("GET", hook(message_id="0" * 32, status="2"))
    assert status == 404 and body["error"] == "not_found"


# ---- a real Kannel, when installed (Debian: kannel and kannel-extras) ----


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.skipif(not kannel_available(), reason="Kannel (bearerbox, smsbox, fakesmsc) is not installed")
def test_through_real_kannel(start_server, tmp_path):
    with Kannel(tmp_path, free_port) as k:
        port = free_port()  # Kannel calls the dlr-url: http.public_url must be our real address
        srv = start_server(*(BASE + ["--sms.url", k.sendsms_url(), "--sms.format", "kannel",
                                     "--sms.callback_secret", SECRET, "--http.listen", "127.0.0.1:%d" % port,
                                     "--http.public_url", "http://127.0.0.1:%d" % port]))
        ask_code(srv)
        line = k.wait_for_message(timeout=30)
        assert line is not None, k.logs() + "\n" + srv.log_text()
        assert "33612345678" in line
        code_in(line)
        # Kannel's fake SMSC reports the message accepted (8) then delivered (1)
        # to our dlr-url, which the hook applies.
        assert srv.wait_for_event(lambda e: e.get("event") == "sms_report" and e.get("status") == "delivered",
                                  timeout=30), k.logs() + "\n" + srv.log_text()
        assert srv.wait_for_event(lambda e: e.get("event") == "sms_report" and e.get("status") == "buffered",
                                  timeout=5)
