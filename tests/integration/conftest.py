"""Fixtures for integration tests: the real `sesame` binary on a free
loopback port, in a temporary directory, with its log captured.

Synchronisation is on events (the "listening" log line, a process exit,
a socket closing), never on sleeps."""

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time

import pytest

BIN = os.environ.get("SESAME_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "sesame"))
START_TIMEOUT = 20


class Server:
    """A running `sesame serve`; `log` holds its stderr lines as they come."""

    def __init__(self, store, args, env=None):
        self.store = store
        self.args = args
        self.lines = []
        self._events = queue.Queue()
        cmd = [BIN, "serve", "--store.path", store, "--http.listen", "127.0.0.1:0"] + args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, **(env or {})})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.address = None
        deadline = time.monotonic() + START_TIMEOUT
        while self.address is None:
            try:
                ev = self._events.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                raise RuntimeError("sesame did not start:\n" + "\n".join(self.lines))
            if ev is None:
                raise RuntimeError("sesame exited early (%s):\n%s" % (self.proc.wait(), "\n".join(self.lines)))
            if ev.get("event") == "listening":
                self.address = ev["address"]
        host, port = self.address.rsplit(":", 1)
        self.host, self.port = host, int(port)

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            try:
                self._events.put(json.loads(line))
            except ValueError:
                pass
        self._events.put(None)

    def log_text(self):
        return "\n".join(self.lines)

    def events(self, name):
        out = []
        for line in list(self.lines):
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == name:
                out.append(ev)
        return out

    def wait_for_event(self, predicate, timeout=10):
        """Blocks until a log event satisfying predicate arrives (or times out)."""
        deadline = time.monotonic() + timeout
        for line in list(self.lines):
            try:
                if predicate(json.loads(line)):
                    return True
            except ValueError:
                pass
        while time.monotonic() < deadline:
            try:
                ev = self._events.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                return False
            if ev is None:
                return False
            if predicate(ev):
                return True
        return False

    def conn(self, timeout=10):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, cookie=None):
        """One request on a fresh connection; returns (status, headers, body-bytes)."""
        c = self.conn()
        hdrs = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        if cookie:
            hdrs["Cookie"] = cookie
        c.request(method, path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r, data

    def json(self, method, path, body=None, headers=None, cookie=None):
        status, r, data = self.request(method, path, body, headers, cookie)
        return status, r, (json.loads(data) if data else None)

    def raw(self, payload, timeout=10):
        """Sends raw bytes on a new connection and returns everything read until close."""
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        s.sendall(payload)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        return b"".join(chunks)

    def terminate(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._reader.join(timeout=5)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def start_server(tmp_path):
    """Factory: start_server(*flags, store=None) -> Server; stopped after the test."""
    started = []

    def start(*args, store=None, env=None):
        path = store or str(tmp_path / ("data%d" % len(started)))
        s = Server(path, list(args), env=env)
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()


@pytest.fixture
def server(start_server):
    return start_server("--http.read_timeout", "2s", "--http.idle_timeout", "2s")


def run_cli(*args, timeout=120, input=None):
    """Runs `sesame ARGS...` to completion; returns CompletedProcess (text)."""
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=timeout, input=input)


def outbox_messages(store, outbox_file=None):
    """The file outbox's complete JSON lines, parsed (API.md format). A last
    line without its newline is being appended right now (a reader may see a
    write() in progress): it is left for the next read, never parsed."""
    path = outbox_file or os.path.join(store, "outbox.log")
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    complete = data[:data.rfind(b"\n") + 1]
    return [json.loads(line) for line in complete.decode("utf-8").split("\n") if line.strip()]


def wait_for_messages(store, predicate, count=1, timeout=15, outbox_file=None):
    """Waits until `count` outbox messages satisfy `predicate`; returns them.
    The workers append asynchronously: this waits on the file's content,
    with a bounded timeout, never on a fixed delay."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in outbox_messages(store, outbox_file) if predicate(m)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)
