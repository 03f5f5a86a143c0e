"""Nothing lost: messages the user was told were sent survive kill -9 of
the server and are delivered after restart (issue: delivery)."""

import collections
import os
import signal
import threading

from conftest import outbox_messages, wait_for_messages

FAST = ["--password.argon2_memory_kib", "64", "--password.argon2_iterations", "1"]
MESSAGES = 1000
OPEN_LIMITS = ["--limits.recovery_per_ip", "100000/1h", "--limits.recovery_per_identifier", "100000/1h",
               "--limits.sends_per_destination", "100000/1h", "--recovery.resend_cooldown", "0"]


def request_many(srv, n, threads=8):
    """n forgotten-password requests; returns the references answered 202."""
    references = []
    lock = threading.Lock()
    counter = iter(range(n))

    def worker():
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            status, _, body = srv.json("POST", "/api/v1/recovery/password",
                                       body={"identifier": "m.dupont", "profile": "parent"})
            assert status == 202, body
            with lock:
                references.append(body["reference"])

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return references


def test_kill_9_with_1000_pending_messages_loses_none(start_server, tmp_path):
    store = str(tmp_path / "store")
    outbox = str(tmp_path / "outbox.log")
    # First life: every delivery attempt fails (the outbox file is /dev/full),
    # so all messages stay pending in the durable outbox.
    first = start_server("--demo.seed", "true", "--outbox.file", "/dev/full", "--workers.retry_initial", "60s",
                         *OPEN_LIMITS, *FAST, store=store)
    references = request_many(first, MESSAGES)
    assert len(set(references)) == MESSAGES
    first.proc.send_signal(signal.SIGKILL)
    assert first.proc.wait(timeout=30) == -signal.SIGKILL

    # Second life: a working outbox; the replay sends every pending message.
    second = start_server("--outbox.file", outbox, *FAST, store=store)
    got = wait_for_messages(store, lambda m: m["purpose"] == "recovery_code", count=MESSAGES, timeout=120,
                            outbox_file=outbox)
    received = collections.Counter(m["reference"] for m in got)
    missing = set(references) - set(received)
    duplicates = sum(c - 1 for c in received.values())
    print("\n%d messages accepted before kill -9; %d delivered after restart; %d missing; %d duplicates"
          % (len(references), len(received), len(missing), duplicates))
    assert not missing
    assert second.terminate() == 0


def test_kill_9_during_delivery_loses_none_and_duplicates_stay_rare(start_server, tmp_path):
    store = str(tmp_path / "store")
    outbox = str(tmp_path / "outbox.log")
    first = start_server("--demo.seed", "true", "--outbox.file", outbox, *OPEN_LIMITS, *FAST, store=store)
    references = request_many(first, MESSAGES // 2)
    # Kill while the workers are still writing: some messages are out, some not.
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=30)
    before = len(outbox_messages(store, outbox))
    second = start_server("--outbox.file", outbox, *FAST, store=store)
    got = wait_for_messages(store, lambda m: m["purpose"] == "recovery_code", count=len(references), timeout=120,
                            outbox_file=outbox)
    received = collections.Counter(m["reference"] for m in got)
    duplicates = sum(c - 1 for c in received.values())
    print("\n%d accepted; %d lines before the kill; %d duplicates after restart" % (len(references), before, duplicates))
    assert set(references) <= set(received)
    # A duplicate needs a crash between the send and its status write: at
    # most the messages in flight at the kill (the workers' concurrency).
    assert duplicates <= 16
    assert second.terminate() == 0
