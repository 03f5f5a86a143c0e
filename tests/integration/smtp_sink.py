"""A real SMTP server for the integration tests: aiosmtpd (python3-aiosmtpd)
on 127.0.0.1, port 0, in its own thread and event loop. It records every
message with the connection it came on, and can refuse recipients
(scripted replies), offer STARTTLS and require AUTH.

Synchronisation is on a condition variable fed by the server, never on
sleeps."""

import asyncio
import itertools
import threading
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


class Received:
    """One message as the server took it."""

    def __init__(self, connection, mail_from, rcpt_tos, mail_options, content, tls, auth_login):
        self.connection = connection      # 1, 2, ...: the TCP connection it came on
        self.mail_from = mail_from
        self.rcpt_tos = rcpt_tos
        self.mail_options = mail_options  # ["BODY=8BITMIME", "SIZE=..."] as sent
        self.content = content            # bytes, dot-unstuffed, without the final CRLF.CRLF
        self.tls = tls                    # the session ran under STARTTLS
        self.auth_login = auth_login      # the AUTH user name, or None


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink._next_rcpt_reply()
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        qid = "Q%06d" % next(self.sink._ids)
        login = session.auth_data if isinstance(session.auth_data, str) else None
        self.sink._record(Received(server.sink_connection, envelope.mail_from, list(envelope.rcpt_tos),
                                   list(envelope.mail_options), envelope.original_content or envelope.content,
                                   session.ssl is not None, login))
        return "250 2.0.0 Ok: queued as " + qid


class _CountingSMTP(SMTP):
    """Numbers its TCP connections (a STARTTLS upgrade is the same one)."""

    def __init__(self, handler, sink, **kwargs):
        super().__init__(handler, **kwargs)
        self._sink = sink
        self.sink_connection = None

    def connection_made(self, transport):
        first = self._original_transport is None and self.sink_connection is None
        super().connection_made(transport)
        if first:
            self.sink_connection = self._sink._new_connection()


class SmtpSink:
    """start() binds 127.0.0.1:0; .port is the port; close() stops it.

    tls_context: an ssl.SSLContext (server side) to offer STARTTLS.
    implicit_tls: serve TLS from the first byte (smtps://) with tls_context.
    idle_timeout: seconds after which the server drops a silent session.
    credentials: (user, password) to offer AUTH and require it.
    rcpt_replies: replies given to the first RCPT commands, in order
                  (e.g. ["450 4.2.0 Mailbox busy"]); then RCPT is accepted.
    """

    def __init__(self, tls_context=None, credentials=None, rcpt_replies=None, implicit_tls=False, idle_timeout=60):
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.idle_timeout = idle_timeout
        self.credentials = credentials
        self.rcpt_replies = list(rcpt_replies or [])
        self.messages = []
        self.connections = 0
        self.auth_attempts = []  # (mechanism, login, success)
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = None
        self.port = None

    # ---- server side (event loop thread) ----

    def _new_connection(self):
        with self._cond:
            self.connections += 1
            self._cond.notify_all()
            return self.connections

    def _next_rcpt_reply(self):
        with self._cond:
            return self.rcpt_replies.pop(0) if self.rcpt_replies else None

    def _record(self, received):
        with self._cond:
            self.messages.append(received)
            self._cond.notify_all()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        login = getattr(auth_data, "login", b"").decode("utf-8", "replace")
        password = getattr(auth_data, "password", b"").decode("utf-8", "replace")
        ok = (login, password) == tuple(self.credentials)
        with self._cond:
            self.auth_attempts.append((mechanism, login, ok))
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)

    def _factory(self):
        kwargs = {"hostname": "sink.test", "ident": "sesame-test-sink", "timeout": self.idle_timeout}
        if self.tls_context is not None and not self.implicit_tls:
            kwargs["tls_context"] = self.tls_context
        if self.credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=False)
        with warnings.catch_warnings():
            # AUTH without TLS is what the AUTH test wants (loopback only).
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            return _CountingSMTP(_Handler(self), self, **kwargs)

    # ---- test side ----

    def start(self):
        self._thread.start()

        async def serve():
            ssl_context = self.tls_context if self.implicit_tls else None
            return await self._loop.create_server(self._factory, "127.0.0.1", 0, ssl=ssl_context)

        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def url(self, scheme="smtp", userinfo=""):
        return "%s://%s127.0.0.1:%d" % (scheme, userinfo + "@" if userinfo else "", self.port)

    def wait_for_messages(self, count, timeout=20):
        """Blocks until `count` messages arrived (or the timeout); returns them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.messages)

    def close(self):
        """Stops listening and the loop; open sessions are dropped. Idempotent."""
        if self._server is None:
            return
        server, self._server = self._server, None

        async def stop():
            server.close()
            for t in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                t.cancel()  # the sessions' handler tasks

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
