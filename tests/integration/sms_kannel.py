"""A real Kannel on loopback for the integration tests (Debian packages
kannel + kannel-extras): bearerbox with a `fake` SMSC, smsbox with a
sendsms user, and fakesmsc as the phone network. fakesmsc prints each
message Kannel hands it ("Got message N: <sender receiver text ...>"), and
Kannel's fake SMSC then reports it delivered (DLR 8, then 1) to the dlr-url.
Synchronisation is on the boxes' output, with bounded timeouts."""

import os
import shutil
import subprocess
import threading
import time
import urllib.parse

BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = shutil.which("fakesmsc") or "/usr/lib/kannel/test/fakesmsc"
USER, PASSWORD = "sesame", "kannel-pw"


def available():
    return all(os.access(p, os.X_OK) for p in (BEARERBOX, SMSBOX, FAKESMSC))


class _Proc:
    """A child process whose merged output is collected line by line."""

    def __init__(self, name, cmd, cwd):
        self.name = name
        self.lines = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_line(self, needle, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if needle in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self._cond.wait(min(left, 0.5))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)


class Kannel:
    def __init__(self, directory, free_port):
        self.dir = str(directory)
        self.admin_port, self.smsbox_port, self.smsc_port, self.sendsms_port = (free_port() for _ in range(4))
        self.procs = []

    def sendsms_url(self):
        q = urllib.parse.urlencode({"username": USER, "password": PASSWORD})
        return "http://127.0.0.1:%d/cgi-bin/sendsms?%s" % (self.sendsms_port, q)

    def _config(self):
        return "\n".join([
            "group = core",
            "admin-port = %d" % self.admin_port,
            "admin-password = admin-pw",
            "admin-allow-ip = 127.0.0.1",
            "smsbox-port = %d" % self.smsbox_port,
            "box-allow-ip = 127.0.0.1",
            "dlr-storage = internal",
            "log-level = 1",
            "",
            "group = smsc",
            "smsc = fake",
            "smsc-id = fake",
            "port = %d" % self.smsc_port,
            "connect-allow-ip = 127.0.0.1",
            "",
            "group = smsbox",
            "bearerbox-host = 127.0.0.1",
            "bearerbox-port = %d" % self.smsbox_port,
            "sendsms-port = %d" % self.sendsms_port,
            "sendsms-interface = 127.0.0.1",
            "log-level = 1",
            "",
            "group = sendsms-user",
            "username = %s" % USER,
            "password = %s" % PASSWORD,
            "default-sender = Sesame",
            "",
            "group = sms-service",
            "keyword = default",
            "text = \"ignored\"",
            "",
        ])

    def __enter__(self):
        conf = os.path.join(self.dir, "kannel.conf")
        with open(conf, "w") as f:
            f.write(self._config())
        try:
            bb = _Proc("bearerbox", [BEARERBOX, "-v", "1", conf], self.dir)
            self.procs.append(bb)
            if not bb.wait_line("entering mainloop", 15):
                raise RuntimeError("bearerbox did not start:\n" + self.logs())
            # -m 0: send nothing, only receive and print what Kannel delivers.
            self.fake = _Proc("fakesmsc", [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-i", "1",
                                           "-m", "0", "1 2 text unused"], self.dir)
            self.procs.append(self.fake)
            sb = _Proc("smsbox", [SMSBOX, "-v", "1", conf], self.dir)
            self.procs.append(sb)
            if not self._wait_http(20):
                raise RuntimeError("smsbox sendsms port never opened:\n" + self.logs())
            if not bb.wait_line("Fakesmsc client connected", 20):
                raise RuntimeError("fakesmsc never connected:\n" + self.logs())
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_http(self, timeout):
        import socket
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.sendsms_port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def wait_for_message(self, timeout=30):
        """The first line fakesmsc prints for a message from Kannel, or None."""
        return self.fake.wait_line("Got message", timeout)

    def logs(self):
        return "\n".join("[%s] %s" % (p.name, line) for p in self.procs for line in p.lines[-40:])

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            p.stop()
        return False
