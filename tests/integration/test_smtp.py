"""E-mail delivery over real SMTP: the `sesame` binary with --smtp.url talking
to an aiosmtpd server on loopback (smtp_sink.py): headers and MIME parts as
a mail client decodes them, connection reuse, STARTTLS (self-signed
certificate made here with the openssl CLI), AUTH PLAIN from the URL, DKIM
checked by python3-dkim, and the reply mapping (4xx retried, 5xx not).

Needs python3-aiosmtpd, python3-dkim and openssl (Debian packages)."""

import base64
import datetime
import email
import email.policy
import email.utils
import json
import re
import ssl
import subprocess
import time

import dkim
import pytest

from smtp_sink import SmtpSink

FAST = ["--password.argon2_memory_kib", "64", "--password.argon2_iterations", "1"]
SUBJECT = "Sésame : réinitialisation de votre mot de passe"
PUPIL_ADDRESS = "lucas.dupont@example.fr"


@pytest.fixture
def sinks():
    """Factory: sinks(**SmtpSink options) -> a started SmtpSink, closed after the test."""
    started = []

    def make(**kwargs):
        s = SmtpSink(**kwargs).start()
        started.append(s)
        return s

    yield make
    for s in started:
        s.close()


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for localhost / 127.0.0.1 and its key, made with the openssl CLI."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def start_sesame(start_server, url, *extra):
    return start_server("--demo.seed", "true", "--recovery.resend_cooldown", "1s", *FAST,
                        "--smtp.url", url, *extra)


def request_reset(s):
    status, _, flow = s.json("POST", "/api/v1/recovery/password", body={"identifier": "l.dupont", "profile": "eleve"})
    assert status == 202 and flow["channel"] == "email", flow
    return flow


def resend(s, flow):
    """Asks for the flow's message again once the 1 s cooldown has passed."""
    url = "/api/v1/recovery/password/%s/resend" % flow["flow_id"]
    deadline = time.monotonic() + 10
    while True:
        status, _, body = s.json("POST", url)
        if status != 429 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 202, body


def parsed(received):
    return email.message_from_bytes(received.content, policy=email.policy.default)


def only_message(sink):
    msgs = sink.wait_for_messages(1)
    assert len(msgs) == 1, "the SMTP server received %d messages" % len(msgs)
    return msgs[0]


def event_with(s, name, text, timeout=20):
    """Waits for log event `name` whose detail contains `text`."""
    return s.wait_for_event(lambda ev: ev.get("event") == name and text in ev.get("detail", ""), timeout=timeout)


def code_and_link(mail):
    """The 6-digit code and the reset link, from the decoded text part."""
    text = mail.get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"\b(\d{6})\b", text)
    link = re.search(r"(http://\S+/reinitialisation#flow=([\w-]+)&token=([\w-]+))", text)
    assert code and link, text
    return code.group(1), link


def test_recovery_mail_over_smtp_is_a_well_formed_multipart_message(start_server, sinks):
    sink = sinks()
    s = start_sesame(start_server, sink.url())
    flow = request_reset(s)
    received = only_message(sink)
    assert received.mail_from == "no-reply@localhost"
    assert received.rcpt_tos == [PUPIL_ADDRESS]
    assert b"\n" not in received.content.replace(b"\r\n", b"")  # CRLF line ends only
    assert max(len(line) for line in received.content.split(b"\r\n")) <= 998

    mail = parsed(received)
    sent_at = email.utils.parsedate_to_datetime(mail["Date"])
    assert sent_at.tzinfo is not None
    assert abs((datetime.datetime.now(datetime.timezone.utc) - sent_at).total_seconds()) < 120
    assert re.fullmatch(r"<[0-9a-f]{32}@localhost>", mail["Message-ID"]), mail["Message-ID"]
    assert mail["From"].addresses[0].display_name == "Sésame"
    assert mail["From"].addresses[0].addr_spec == "no-reply@localhost"
    assert mail["To"].addresses[0].addr_spec == PUPIL_ADDRESS
    assert mail["Subject"] == SUBJECT
    assert mail["MIME-Version"] == "1.0"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Sesame-Reference"] == flow["reference"]

    assert mail.get_content_type() == "multipart/alternative"
    parts = list(mail.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for p in parts:
        assert p.get_content_charset() == "utf-8"
        assert p["Content-Transfer-Encoding"] == "quoted-printable"
    code, link = code_and_link(mail)
    assert link.group(2) == flow["flow_id"]
    text = parts[0].get_content()
    html = parts[1].get_content()
    assert "Bonjour Lucas" in text and "Référence de la demande" in text  # accents decoded
    assert code in html and link.group(1) in html.replace("&amp;", "&")

    # The code the server mailed is the live one, and the send is logged with the server's answer.
    status, _, _ = s.json("POST", "/api/v1/recovery/password/%s/verify" % flow["flow_id"], body={"code": code})
    assert status == 200
    assert event_with(s, "message_sent", "250 2.0.0 Ok: queued as")
    s.terminate()
    assert code not in s.log_text() and link.group(3) not in s.log_text()
    assert PUPIL_ADDRESS not in s.log_text()


def test_a_second_message_reuses_the_connection(start_server, sinks):
    sink = sinks()
    s = start_sesame(start_server, sink.url())
    flow = request_reset(s)
    assert len(sink.wait_for_messages(1)) == 1
    resend(s, flow)
    msgs = sink.wait_for_messages(2)
    assert len(msgs) == 2
    assert sink.connections == 1 and [m.connection for m in msgs] == [1, 1]
    first, second = parsed(msgs[0]), parsed(msgs[1])
    assert first["Message-ID"] != second["Message-ID"]  # one outbox id per message
    assert code_and_link(second)[1].group(2) == flow["flow_id"]
    assert second["Subject"] == SUBJECT


def test_starttls_with_a_self_signed_certificate(start_server, sinks, certificate):
    sink = sinks(tls_context=certificate)
    s = start_sesame(start_server, sink.url("smtp+starttls"), "--smtp.verify_tls", "false")
    request_reset(s)
    received = only_message(sink)
    assert received.tls, "the message travelled before STARTTLS"
    assert parsed(received)["Subject"] == SUBJECT


def test_starttls_refuses_an_untrusted_certificate_by_default(start_server, sinks, certificate):
    sink = sinks(tls_context=certificate)
    s = start_sesame(start_server, sink.url("smtp+starttls"))
    request_reset(s)
    assert event_with(s, "message_failed", "certificate verify failed")
    assert sink.wait_for_messages(1, timeout=1) == []


def test_starttls_required_but_not_offered_is_a_permanent_failure(start_server, sinks):
    sink = sinks()  # no TLS context: no STARTTLS in its EHLO reply
    s = start_sesame(start_server, sink.url("smtp+starttls"), "--workers.retry_initial", "1s")
    request_reset(s)
    assert event_with(s, "message_abandoned", "STARTTLS non proposé")
    assert sink.wait_for_messages(1, timeout=3) == []  # nothing sent in clear, no retry


def test_auth_plain_with_credentials_from_the_url(start_server, sinks):
    sink = sinks(credentials=("relais@ac-paris.fr", "mot de passe:é"))
    url = sink.url("smtp", "relais%40ac-paris.fr:mot%20de%20passe%3A%C3%A9")
    s = start_sesame(start_server, url)
    request_reset(s)
    received = only_message(sink)
    assert received.auth_login == "relais@ac-paris.fr"
    assert sink.auth_attempts == [("PLAIN", "relais@ac-paris.fr", True)]
    assert "mot de passe" not in s.log_text()


def test_dkim_signature_verifies(start_server, sinks, tmp_path):
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key)],
                   check=True, capture_output=True, timeout=60)
    der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True, timeout=60).stdout
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
    asked = []

    def dnsfunc(name, timeout=5):
        asked.append(name)
        return record if name == b"s1._domainkey.example.fr." else None

    sink = sinks()
    s = start_sesame(start_server, sink.url(), "--dkim.domain", "example.fr", "--dkim.selector", "s1",
                     "--dkim.key_file", str(key))
    request_reset(s)
    received = only_message(sink)
    assert received.content.startswith(b"DKIM-Signature:")
    tags = dict(t.strip().split("=", 1) for t in re.sub(r"\s+", " ", parsed(received)["DKIM-Signature"]).split(";")
                if "=" in t)
    assert tags["d"] == "example.fr" and tags["s"] == "s1" and tags["a"] == "rsa-sha256"
    assert tags["c"] == "relaxed/relaxed"
    assert {"from", "to", "subject", "date", "message-id"} <= set(tags["h"].split(":"))
    assert abs(int(tags["t"]) - time.time()) < 120
    assert dkim.verify(received.content, dnsfunc=dnsfunc)
    assert asked == [b"s1._domainkey.example.fr."]
    # The check is real: a changed subject or body fails it.
    tampered = received.content.replace(b"Subject: =?UTF-8?B?", b"Subject: =?UTF-8?B?QQ", 1)
    assert tampered != received.content and not dkim.verify(tampered, dnsfunc=dnsfunc)
    assert not dkim.verify(received.content.replace(b"Bonjour", b"Bonsoir", 1), dnsfunc=dnsfunc)


def test_a_4xx_reply_is_a_temporary_failure_and_is_retried(start_server, sinks):
    sink = sinks(rcpt_replies=["451 4.3.0 Essayez plus tard"])
    s = start_sesame(start_server, sink.url(), "--workers.retry_initial", "1s")
    request_reset(s)
    assert event_with(s, "message_failed", "451 4.3.0 Essayez plus tard")
    received = only_message(sink)  # the retry went through
    assert parsed(received)["Subject"] == SUBJECT
    assert event_with(s, "message_sent", "250 2.0.0 Ok: queued as")
    warned = [ev for ev in s.events("smtp_send_failed") if "451" in ev.get("detail", "")]
    assert warned and warned[0]["to"] != PUPIL_ADDRESS and warned[0]["to"].endswith("@example.fr")


def test_a_5xx_reply_to_rcpt_is_a_permanent_failure(start_server, sinks):
    sink = sinks(rcpt_replies=["550 5.1.1 Destinataire inconnu"])
    s = start_sesame(start_server, sink.url(), "--workers.retry_initial", "1s")
    request_reset(s)
    assert event_with(s, "message_abandoned", "550 5.1.1 Destinataire inconnu")
    assert sink.wait_for_messages(1, timeout=3) == []  # not retried (a retry would be accepted)


def test_an_unreachable_server_is_a_temporary_failure(start_server, sinks):
    sink = sinks()
    url = sink.url()
    sink.close()  # nothing listens on that port any more
    s = start_sesame(start_server, url, "--workers.retry_initial", "1s")
    request_reset(s)
    assert event_with(s, "message_failed", "connexion")
    failed = [ev for ev in s.events("smtp_session_failed")]
    assert failed and json.dumps(failed[0]).find(PUPIL_ADDRESS) == -1
