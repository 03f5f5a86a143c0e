"""Recovery flows over HTTP against the real binary, reading messages from
the file outbox (issue: recovery)."""

import json
import re
import threading
import time

import pytest

from conftest import outbox_messages, wait_for_messages

FAST = ["--password.argon2_memory_kib", "64", "--password.argon2_iterations", "1"]
DEMO_PASSWORD = "Sesame-demo-2026!"
NEW_PASSWORD = "cheval-lune-piano-92"
OTHER_PASSWORD = "violon-nuage-tortue-47"


@pytest.fixture
def srv(start_server):
    return start_server("--demo.seed", "true", "--recovery.resend_cooldown", "1s", *FAST)


def login(s, identifier, password):
    status, r, body = s.json("POST", "/api/v1/session", body={"identifier": identifier, "password": password})
    cookie = (r.getheader("Set-Cookie") or "").split(";", 1)[0] or None
    return status, body, cookie


def code_in(message):
    m = re.search(r"#(\d{6})$", message["text"]) or re.search(r"\b(\d{6})\b", message["text"])
    assert m, message["text"]
    return m.group(1)


def request_reset(s, identifier, profile):
    return s.json("POST", "/api/v1/recovery/password", body={"identifier": identifier, "profile": profile})


def sms_to(phone, purpose="recovery_code"):
    return lambda m: m["channel"] == "sms" and m["to"] == phone and m["purpose"] == purpose


def test_parent_forgotten_password_end_to_end(srv):
    _, _, old_session = login(srv, "m.dupont", DEMO_PASSWORD)
    status, _, flow = request_reset(srv, "m.dupont", "parent")
    assert status == 202 and flow["channel"] == "sms" and flow["expires_in"] == 1800
    assert re.fullmatch(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}", flow["reference"])
    [sms] = wait_for_messages(srv.store, sms_to("+33612345678"))
    code = code_in(sms)
    assert sms["text"].endswith("@127.0.0.1:8080 #" + code)  # WebOTP line last
    assert len(sms["text"]) <= 160 and sms["reference"] == flow["reference"]
    status, _, verified = srv.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"], body={"code": code})
    assert status == 200 and verified["expires_in"] == 900
    status, _, body = srv.json("POST", "/api/v1/recovery/password/reset",
                               body={"reset_token": verified["reset_token"], "new_password": NEW_PASSWORD})
    assert status == 204, body
    assert srv.json("GET", "/api/v1/me", cookie=old_session)[0] == 401  # every session revoked
    assert login(srv, "m.dupont", NEW_PASSWORD)[0] == 200
    assert login(srv, "m.dupont", DEMO_PASSWORD)[0] == 401
    notices = wait_for_messages(srv.store, sms_to("+33612345678", "password_changed"))
    assert notices and "changé" in notices[0]["text"]
    # The token is single use.
    status, _, body = srv.json("POST", "/api/v1/recovery/password/reset",
                               body={"reset_token": verified["reset_token"], "new_password": OTHER_PASSWORD})
    assert status == 410 and body["error"] == "token_expired"
    _, _, cookie = login(srv, "m.dupont", NEW_PASSWORD)
    _, _, act = srv.json("GET", "/api/v1/me/activity?limit=100", cookie=cookie)
    types = {e["type"] for e in act["events"]}
    assert {"recovery_requested", "code_sent", "password_reset"} <= types


def test_pupil_reset_by_email_link(srv):
    status, _, flow = request_reset(srv, "l.dupont", "eleve")
    assert status == 202 and flow["channel"] == "email"
    [mail] = wait_for_messages(srv.store, lambda m: m["to"] == "lucas.dupont@example.fr" and m["purpose"] == "recovery_code")
    assert mail["subject"] and mail["html"].startswith("<!doctype html>")
    link = re.search(r"(http://\S+/reinitialisation#flow=([\w-]+)&token=([\w-]+))", mail["text"])
    assert link and link.group(2) == flow["flow_id"]
    assert link.group(1) in mail["html"].replace("&amp;", "&")
    status, _, verified = srv.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"],
                                   body={"token": link.group(3)})
    assert status == 200
    assert srv.json("POST", "/api/v1/recovery/password/reset",
                    body={"reset_token": verified["reset_token"], "new_password": NEW_PASSWORD})[0] == 204
    assert login(srv, "l.dupont", NEW_PASSWORD)[0] == 200


def test_weak_password_does_not_consume_the_reset_token(srv):
    _, _, flow = request_reset(srv, "m.dupont", "parent")
    code = code_in(wait_for_messages(srv.store, sms_to("+33612345678"))[0])
    _, _, v = srv.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"], body={"code": code})
    status, _, body = srv.json("POST", "/api/v1/recovery/password/reset",
                               body={"reset_token": v["reset_token"], "new_password": "motdepasse"})
    assert status == 422 and body["reasons"]
    status, _, body = srv.json("POST", "/api/v1/recovery/password/reset",
                               body={"reset_token": v["reset_token"], "new_password": DEMO_PASSWORD})
    assert status == 422 and any("déjà utilisé" in r for r in body["reasons"])
    assert srv.json("POST", "/api/v1/recovery/password/reset",
                    body={"reset_token": v["reset_token"], "new_password": NEW_PASSWORD})[0] == 204


def test_code_expires_to_the_second(start_server):
    s = start_server("--demo.seed", "true", "--recovery.code_ttl", "1s", *FAST)
    _, _, flow = request_reset(s, "m.dupont", "parent")
    assert flow["expires_in"] == 1
    code = code_in(wait_for_messages(s.store, sms_to("+33612345678"))[0])
    time.sleep(1.2)  # the code's lifetime passing is the point of the test
    status, _, body = s.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"], body={"code": code})
    assert status == 410 and body["error"] == "flow_expired"


def test_five_wrong_codes_close_the_flow(srv):
    _, _, flow = request_reset(srv, "m.dupont", "parent")
    code = code_in(wait_for_messages(srv.store, sms_to("+33612345678"))[0])
    wrong = "000000" if code != "000000" else "111111"
    url = "/api/v1/recovery/password/%s/verify" % flow["flow_id"]
    lefts = []
    for _ in range(5):
        status, _, body = srv.json("POST", url, body={"code": wrong})
        assert status == 400 and body["error"] == "invalid_code"
        lefts.append(body["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    status, _, body = srv.json("POST", url, body={"code": code})
    assert status == 410 and body["error"] == "flow_closed"


def test_resend_kills_the_old_code_and_respects_the_cooldown(srv):
    _, _, flow = request_reset(srv, "m.dupont", "parent")
    first = code_in(wait_for_messages(srv.store, sms_to("+33612345678"))[0])
    url = "/api/v1/recovery/password/%s/" % flow["flow_id"]
    status, r, body = srv.json("POST", url + "resend")
    assert status == 429 and r.getheader("Retry-After")
    deadline = time.monotonic() + 10
    while True:  # the cooldown (1 s) passing
        status, _, body = srv.json("POST", url + "resend")
        if status != 429 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 202 and body["expires_in"] == 1800
    msgs = wait_for_messages(srv.store, sms_to("+33612345678"), count=2)
    second = code_in(msgs[-1])
    if second != first:
        status, _, body = srv.json("POST", url + "verify", body={"code": first})
        assert status == 400 and body["error"] == "invalid_code"
    assert srv.json("POST", url + "verify", body={"code": second})[0] == 200


def test_a_new_request_kills_the_previous_flow(srv):
    _, _, old = request_reset(srv, "m.dupont", "parent")
    old_code = code_in(wait_for_messages(srv.store, sms_to("+33612345678"))[0])
    deadline = time.monotonic() + 10
    while True:  # the per-identifier cooldown passing
        status, _, new = request_reset(srv, "m.dupont", "parent")
        if status == 202 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 202
    status, _, body = srv.json("POST", "/api/v1/recovery/password/%s/verify" % old["flow_id"], body={"code": old_code})
    assert status == 410 and body["error"] == "flow_closed"


def test_a_login_kills_outstanding_codes(srv):
    _, _, flow = request_reset(srv, "m.dupont", "parent")
    code = code_in(wait_for_messages(srv.store, sms_to("+33612345678"))[0])
    assert login(srv, "m.dupont", DEMO_PASSWORD)[0] == 200
    status, _, body = srv.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"], body={"code": code})
    assert status == 410 and body["error"] == "flow_closed"


def test_two_concurrent_verifies_of_the_right_code_give_one_token(srv):
    _, _, flow = request_reset(srv, "m.dupont", "parent")
    code = code_in(wait_for_messages(srv.store, sms_to("+33612345678"))[0])
    barrier = threading.Barrier(6)
    results = []

    def verify():
        barrier.wait()
        results.append(srv.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"], body={"code": code}))

    threads = [threading.Thread(target=verify) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r[0] for r in results)
    assert statuses == [200, 410, 410, 410, 410, 410]


def test_account_wide_cap_holds_across_flows(start_server):
    s = start_server("--demo.seed", "true", "--recovery.resend_cooldown", "1s",
                     "--limits.code_failures_per_account", "3/24h", *FAST)
    wrong_total = 0
    flows = []
    for _ in range(2):
        deadline = time.monotonic() + 10
        while True:
            status, _, flow = request_reset(s, "m.dupont", "parent")
            if status == 202 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        flows.append(flow)
    codes = [code_in(m) for m in wait_for_messages(s.store, sms_to("+33612345678"), count=2)]
    url = "/api/v1/recovery/password/%s/verify" % flows[1]["flow_id"]
    for _ in range(3):
        status, _, body = s.json("POST", url, body={"code": "000000" if codes[-1] != "000000" else "111111"})
        assert status == 400
    status, r, body = s.json("POST", url, body={"code": codes[-1]})
    assert status == 429 and body["error"] == "rate_limited" and r.getheader("Retry-After")


def test_decoys_are_indistinguishable_and_send_nothing(srv):
    status_real, _, real = request_reset(srv, "m.dupont", "parent")
    wait_for_messages(srv.store, sms_to("+33612345678"))
    before = len(outbox_messages(srv.store))
    status_unknown, _, unknown = request_reset(srv, "personne.inconnue", "parent")
    status_profile, _, wrong_profile = request_reset(srv, "l.dupont", "parent")
    status_pending, _, pending = request_reset(srv, "e.martin", "eleve")
    for status, body in [(status_unknown, unknown), (status_profile, wrong_profile)]:
        assert status == status_real == 202
        assert sorted(body) == sorted(real)
        assert body["channel"] == real["channel"] and body["expires_in"] == real["expires_in"]
        assert len(body["flow_id"]) == len(real["flow_id"]) and len(body["reference"]) == len(real["reference"])
    assert status_pending == 202 and pending["channel"] == "email"
    # Decoys behave like real flows on verify and can never succeed.
    for code in ("123456", "000000"):
        status, _, body = srv.json("POST", "/api/v1/recovery/password/%s/verify" % unknown["flow_id"], body={"code": code})
        assert status == 400 and body["error"] == "invalid_code"
    # A restart flushes nothing new: the workers had every chance to write.
    srv.terminate()
    assert len(outbox_messages(srv.store)) == before


def test_no_sms_for_unknown_phone_and_no_mail_to_unvalidated_address(srv):
    status, _, body = srv.json("POST", "/api/v1/recovery/identifier", body={"profile": "parent", "phone": "0700000000"})
    assert status == 202 and body["reference"] and body["message"]
    status, _, known = srv.json("POST", "/api/v1/recovery/identifier", body={"profile": "parent", "phone": "06 12 34 56 78"})
    assert status == 202 and sorted(known) == sorted(body)
    [sms] = wait_for_messages(srv.store, sms_to("+33612345678", "identifier_reminder"))
    assert "m.dupont" in sms["text"]
    status, _, _ = srv.json("POST", "/api/v1/activation", body={"phone": "0711111111"})
    assert status == 202
    # l.dupont asks for a new address: until confirmed it receives nothing.
    _, _, cookie = login(srv, "l.dupont", DEMO_PASSWORD)
    assert srv.json("POST", "/api/v1/me/email", body={"email": "nouvelle@example.fr"}, cookie=cookie)[0] == 202
    wait_for_messages(srv.store, lambda m: m["purpose"] == "email_confirmation")
    srv.json("POST", "/api/v1/recovery/identifier", body={"profile": "eleve", "email": "nouvelle@example.fr"})
    request_reset(srv, "l.dupont", "eleve")
    wait_for_messages(srv.store, lambda m: m["purpose"] == "recovery_code" and m["channel"] == "email")
    srv.terminate()
    msgs = outbox_messages(srv.store)
    assert not [m for m in msgs if m["to"] in ("+33700000000", "+33711111111")]
    to_new = [m for m in msgs if m["to"] == "nouvelle@example.fr"]
    assert [m["purpose"] for m in to_new] == ["email_confirmation"]
    # The recovery mail went to the previous, validated address.
    assert [m for m in msgs if m["to"] == "lucas.dupont@example.fr" and m["purpose"] == "recovery_code"]


def test_email_change_and_confirmation(srv):
    _, _, cookie = login(srv, "l.dupont", DEMO_PASSWORD)
    status, _, _ = srv.json("POST", "/api/v1/me/email", body={"email": "Lucas.Nouveau@Example.FR"}, cookie=cookie)
    assert status == 202
    _, _, me = srv.json("GET", "/api/v1/me", cookie=cookie)
    assert me["email"] == "Lucas.Nouveau@example.fr" and me["email_validated"] is False
    [mail] = wait_for_messages(srv.store, lambda m: m["purpose"] == "email_confirmation")
    token = re.search(r"/mon-compte/confirmer#token=([\w.-]+)", mail["text"]).group(1)
    assert srv.json("POST", "/api/v1/email/confirm", body={"token": "garbage"})[0] == 400
    status, _, body = srv.json("POST", "/api/v1/email/confirm", body={"token": token})
    assert status == 200 and body["email"] == "Lucas.Nouveau@example.fr"
    _, _, me = srv.json("GET", "/api/v1/me", cookie=cookie)
    assert me["email_validated"] is True
    status, _, body = srv.json("POST", "/api/v1/email/confirm", body={"token": token})
    assert status == 410 and body["error"] == "token_expired"
    # The old address is told; recovery now goes to the new one.
    wait_for_messages(srv.store, lambda m: m["to"] == "lucas.dupont@example.fr" and m["purpose"] == "contact_changed")
    request_reset(srv, "l.dupont", "eleve")
    assert wait_for_messages(srv.store, lambda m: m["to"] == "Lucas.Nouveau@example.fr" and m["purpose"] == "recovery_code")


def test_parent_activation_end_to_end(srv):
    status, _, flow = srv.json("POST", "/api/v1/activation", body={"phone": "+33 6 98 76 54 32"})
    assert status == 202 and set(flow) == {"flow_id", "reference", "expires_in"}
    [sms] = wait_for_messages(srv.store, sms_to("+33698765432", "activation_code"))
    code = code_in(sms)
    status, _, v = srv.json("POST", "/api/v1/activation/%s/verify" % flow["flow_id"], body={"code": code})
    assert status == 200 and v["children"] == 1
    complete = {"activation_token": v["activation_token"], "new_password": NEW_PASSWORD}
    status, _, body = srv.json("POST", "/api/v1/activation/complete", body={**complete, "children_birth_dates": ["2014-09-03"]})
    assert status == 400 and body["error"] == "birth_dates_mismatch" and body["attempts_left"] == 2
    status, _, body = srv.json("POST", "/api/v1/activation/complete", body={**complete, "children_birth_dates": ["bad"]})
    assert status == 400 and body["field"] == "children_birth_dates"
    status, r, body = srv.json("POST", "/api/v1/activation/complete", body={**complete, "children_birth_dates": ["2014-09-02"]})
    assert status == 200 and body == {"identifier": "k.benali"}
    cookie = r.getheader("Set-Cookie").split(";", 1)[0]
    status, _, me = srv.json("GET", "/api/v1/me", cookie=cookie)
    assert status == 200 and me["identifier"] == "k.benali" and me["must_change_password"] is False
    assert login(srv, "k.benali", NEW_PASSWORD)[0] == 200
    # An activated parent gets a decoy next time: no SMS.
    n = len(outbox_messages(srv.store))
    deadline = time.monotonic() + 10
    while True:
        status, _, _ = srv.json("POST", "/api/v1/activation", body={"phone": "0698765432"})
        if status == 202 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    srv.terminate()
    assert len([m for m in outbox_messages(srv.store) if m["purpose"] == "activation_code"]) == 1


def test_recovery_per_address_limit(start_server):
    s = start_server("--demo.seed", "true", "--limits.recovery_per_ip", "2/1h", *FAST)
    assert request_reset(s, "a.b", "parent")[0] == 202
    assert s.json("POST", "/api/v1/recovery/identifier", body={"profile": "parent", "phone": "0700000000"})[0] == 202
    status, r, body = request_reset(s, "c.d", "parent")
    assert status == 429 and int(r.getheader("Retry-After")) >= 1


def test_bad_input_is_400(srv):
    status, _, body = srv.json("POST", "/api/v1/recovery/password", body={"identifier": "m.dupont", "profile": "prof"})
    assert status == 400 and body["field"] == "profile"
    status, _, body = srv.json("POST", "/api/v1/recovery/identifier", body={"profile": "parent", "phone": "0142424242"})
    assert status == 400 and body["field"] == "phone"
    status, _, body = srv.json("POST", "/api/v1/activation", body={"phone": 612345678})
    assert status == 400 and body["field"] == "phone"
    status, _, body = srv.json("POST", "/api/v1/recovery/password/nope/verify", body={})
    assert status == 400 and body["field"] == "code"


def test_no_code_or_token_in_the_server_output(srv):
    _, _, flow = request_reset(srv, "m.dupont", "parent")
    code = code_in(wait_for_messages(srv.store, sms_to("+33612345678"))[0])
    _, _, v = srv.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"], body={"code": code})
    srv.json("POST", "/api/v1/recovery/password/reset", body={"reset_token": v["reset_token"], "new_password": NEW_PASSWORD})
    request_reset(srv, "l.dupont", "eleve")
    [mail] = wait_for_messages(srv.store, lambda m: m["purpose"] == "recovery_code" and m["channel"] == "email")
    link_token = re.search(r"token=([\w-]+)", mail["text"]).group(1)
    srv.terminate()
    log = srv.log_text()
    for secret in (code, v["reset_token"], v["reset_token"].split(".")[1], link_token, NEW_PASSWORD, "+33612345678"):
        assert secret not in log
