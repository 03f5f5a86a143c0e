"""scripts/bench against the real binary (API.md "Bench suite"): short
healthz and evening runs on a small store with a cheap Argon2 cost, the
fields of summary.json, a self-contained report.html, the SIGKILL and
restart step with nothing lost, the thresholds' exit codes, open loop, the
comparison, and the refusal of a remote target. No timed assertion: the
figures are only checked for shape and sense."""

import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys

import pytest

from conftest import BIN

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.join(ROOT, "scripts", "bench")
BUILD = os.path.dirname(os.path.abspath(BIN))
LOADGEN = os.path.join(BUILD, "bench", "loadgen")
FAST = ["--set", "password.argon2_memory_kib=64", "--set", "password.argon2_iterations=1"]

pytestmark = pytest.mark.skipif(not os.access(LOADGEN, os.X_OK), reason="bench tools not built next to SESAME_BIN")


def bench(*args, timeout=600):
    """scripts/bench ARGS in its own process group: past the timeout, it and
    every server it started are killed together."""
    p = subprocess.Popen([sys.executable, BENCH, *args, "--build", BUILD], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def bench_plain(*args, timeout=120):
    return subprocess.run([sys.executable, BENCH, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def load(out):
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(out, "report.html")) as f:
        page = f.read()
    return summary, page


def check_route(r):
    assert r["requests"] > 0
    assert r["rps"] > 0
    assert isinstance(r["errors"], dict)
    for q in ("p50", "p90", "p99", "p999", "max"):
        assert r["latency_ms"][q] >= 0
    assert r["latency_ms"]["p50"] <= r["latency_ms"]["p99"] <= r["latency_ms"]["max"]


def check_page(page):
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") >= 3 and "<polyline" in page  # charts drawn inline
    # Self-contained: no resource from the network (nor any URL at all), no script.
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert "url(" not in page


def write_scenario(tmp_path, thresholds):
    path = tmp_path / "probe.ini"
    path.write_text("[scenario]\nname = probe\nconnections = 4\nstage = 1s 100%\n\n"
                    "[route healthz]\npath = /healthz\n\n[thresholds]\n" + thresholds)
    return str(path)


@pytest.fixture(scope="module")
def healthz_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("healthz"))
    p = bench("healthz", "--accounts", "2000", "--duration", "5s", "--reference-duration", "1s", "--out", out, *FAST)
    assert p.returncode in (0, 1), p.stderr + p.stdout  # 1: a ratio below target on a busy machine
    return out, p


def test_healthz_writes_the_summary_of_api_md(healthz_run):
    out, p = healthz_run
    s, _ = load(out)
    assert s["scenario"] == "healthz"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s["started_at"])
    assert s["duration_s"] == 5
    assert s["target"].startswith("http://127.0.0.1:")
    assert s["machine"]["cores"] >= 1 and s["machine"]["cpu_model"]
    assert set(s["routes"]) == {"healthz"}
    check_route(s["routes"]["healthz"])
    assert "nginx_healthz" in s["references"]
    assert "healthz_vs_nginx" in s["ratios"]
    srv = s["server"]
    assert srv["cpu_s"] > 0 and srv["rss_mb_max"] > 0
    assert srv["cpu_us_per_request"] > 0 and srv["bytes_written_per_request"] >= 0
    names = [t["name"] for t in s["thresholds"]]
    assert names == ["healthz_vs_nginx", "no_errors"]
    for t in s["thresholds"]:
        assert set(t) >= {"name", "target", "measured", "ok"}
    assert p.returncode == (0 if all(t["ok"] for t in s["thresholds"]) else 1)
    assert "healthz" in p.stdout and "summary.json" in p.stdout


def test_healthz_report_is_one_self_contained_page(healthz_run):
    out, _ = healthz_run
    s, page = load(out)
    check_page(page)
    assert "Throughput per route" in page and "Server CPU" in page and "resident memory" in page
    assert "healthz: latency" in page
    assert s["machine"]["cpu_model"] in page


@pytest.fixture(scope="module")
def evening_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("evening"))
    p = bench("evening", "--accounts", "2000", "--duration", "5s", "--no-references", "--out", out, *FAST)
    assert p.returncode in (0, 1), p.stderr + p.stdout  # 1: latency thresholds on a shared machine
    return out, p


def test_evening_runs_the_mix_kills_and_restarts(evening_run):
    out, p = evening_run
    s, page = load(out)
    assert set(s["routes"]) == {"page", "page_help", "page_forgot", "asset", "me", "sso_authorize", "login_ok",
                                "login_bad", "recovery_known", "recovery_unknown", "code_check"}
    for name, r in s["routes"].items():
        check_route(r)
        assert r["ok"] > 0, name  # every kind got some of its expected answers
        assert 0 <= r["latency_ms_steady"]["p99"] <= r["latency_ms"]["max"], name
    kill = s["kill"]
    assert 0 < kill["at_s"] < kill["ready_again_s"]
    assert "exited_by_itself" not in s["server"], s.get("notes")
    assert "SIGKILL" in page and "ready again" in page
    check_page(page)


def test_evening_loses_no_accepted_recovery_message(evening_run):
    out, _ = evening_run
    s, _ = load(out)
    r = s["recovery"]
    assert r["answered_202"] > 0
    assert r["lost"] == 0, r["lost_examples"]
    assert r["delivered"] == r["answered_202"]
    assert isinstance(r["duplicates"], int) and r["duplicates"] >= 0
    lost = next(t for t in s["thresholds"] if t["name"] == "nothing_lost")
    assert lost["ok"] and lost["measured"] == 0


def test_crash_rounds_kills_several_times_loses_nothing_and_checks_the_store(tmp_path):
    # crash_rounds.ini with three kills 3.6 s apart instead of ten in 10 s:
    # a restart slower than the gap (a loaded CI machine, the ASan build)
    # would otherwise leave a planned kill past the end of the load.
    scenario = tmp_path / "crash_rounds.ini"
    with open(os.path.join(ROOT, "bench", "scenarios", "crash_rounds.ini")) as f:
        text = f.read()
    text = re.sub(r"(?m)^kill_at = .*$", "kill_at = 20% 50% 80%", text)
    text = re.sub(r"(?m)^every_kill = .*$", "every_kill = kill.count >= 3", text)
    scenario.write_text(text)
    out = str(tmp_path / "crash")
    p = bench(str(scenario), "--accounts", "300", "--duration", "12s", "--out", out, *FAST)
    assert p.returncode in (0, 1), p.stderr + p.stdout
    s, page = load(out)
    kill = s["kill"]
    assert kill["count"] == 3
    assert kill["at_s_all"] == sorted(kill["at_s_all"]) and kill["at_s_all"][0] == kill["at_s"]
    assert len(set(kill["at_s_all"])) == 3 and kill["restart_s_max"] >= kill["restart_s"]
    assert page.count("ready again") >= 3  # one mark per restart on the charts
    assert s["store_check"]["exit_code"] == 0, s["store_check"]["report"]
    r = s["recovery"]
    assert r["answered_202"] > 0 and r["lost"] == 0, r["lost_examples"]
    assert {t["name"]: t["ok"] for t in s["thresholds"]} == {"every_kill": True, "nothing_lost": True,
                                                             "store_consistent": True}
    assert p.returncode == 0
    check_page(page)


def test_threshold_that_holds_exits_0_and_one_that_fails_exits_1(tmp_path):
    holds = write_scenario(tmp_path, "some = routes.healthz.requests > 0\n")
    p = bench(holds, "--accounts", "50", "--rounds", "2", "--out", str(tmp_path / "a"), *FAST)
    assert p.returncode == 0, p.stderr + p.stdout
    rounds = load(str(tmp_path / "a"))[0]["rounds"]
    assert len(rounds) == 2 and all(r["rps_ok"]["healthz"] > 0 for r in rounds)
    fails = write_scenario(tmp_path, "some = routes.healthz.requests > 0\nimpossible = routes.healthz.latency_ms.max < 0\n")
    p = bench(fails, "--accounts", "50", "--out", str(tmp_path / "b"), *FAST)
    assert p.returncode == 1, p.stderr + p.stdout
    s, _ = load(str(tmp_path / "b"))
    assert [(t["name"], t["ok"]) for t in s["thresholds"]] == [("some", True), ("impossible", False)]
    assert "FAIL impossible" in p.stdout


def test_open_loop_keeps_the_rate_and_compare_prints_deltas(tmp_path):
    scenario = write_scenario(tmp_path, "")
    p = bench(scenario, "--accounts", "50", "--rate", "200", "--out", str(tmp_path / "open"), *FAST)
    assert p.returncode == 0, p.stderr + p.stdout
    s, _ = load(str(tmp_path / "open"))
    assert s["mode"] == "open" and s["rate"] == 200
    assert 0 < s["routes"]["healthz"]["requests"] <= 260  # at most the schedule's requests, plus rounding
    p = bench(scenario, "--accounts", "50", "--out", str(tmp_path / "closed"), *FAST)
    assert p.returncode == 0, p.stderr + p.stdout
    assert load(str(tmp_path / "closed"))[0]["mode"] == "closed"
    p = bench_plain("compare", str(tmp_path / "open" / "summary.json"), str(tmp_path / "closed" / "summary.json"))
    assert p.returncode == 0, p.stderr
    assert re.search(r"healthz\s+[\d.]+\s+[\d.]+\s+[+-][\d.]+%", p.stdout), p.stdout


def test_a_run_stops_at_its_request_cap(tmp_path):
    scenario = tmp_path / "long.ini"
    scenario.write_text("[scenario]\nname = long\nconnections = 4\nstage = 10m 100%\n\n[route healthz]\npath = /healthz\n")
    p = bench(str(scenario), "--accounts", "50", "--max-requests", "300", "--out", str(tmp_path / "out"), *FAST,
              timeout=300)  # a 10-minute scenario: only the cap ends it within the timeout
    assert p.returncode == 0, p.stderr + p.stdout
    s, _ = load(str(tmp_path / "out"))
    assert 300 <= s["routes"]["healthz"]["requests"] <= 300 + 4  # plus what was in flight
    assert any("--max-requests 300" in n for n in s["notes"])


def test_sso_token_exchanges_each_minted_code_once(tmp_path):
    # 2000 answers and 2016 codes (one more per connection): drawn at random,
    # codes would come twice and the second use answer 400 invalid_grant.
    out = str(tmp_path / "token")
    p = bench("sso_token", "--accounts", "50", "--duration", "30s", "--max-requests", "2000", "--out", out, *FAST,
              timeout=300)
    assert p.returncode in (0, 1), p.stderr + p.stdout
    s, _ = load(out)
    token = s["routes"]["token"]
    check_route(token)
    assert token["status"] == {"200": token["requests"]}
    assert token["errors_total"] == 0
    assert token["requests"] <= 2000 + 16
    assert [t["name"] for t in s["thresholds"]] == ["token_rate"]


def test_login_timing_compares_the_two_latency_distributions(tmp_path):
    out = str(tmp_path / "timing")
    p = bench("login_timing", "--accounts", "300", "--duration", "2s", "--out", out, *FAST, timeout=300)
    assert p.returncode in (0, 1), p.stderr + p.stdout
    s, _ = load(out)
    known, unknown = s["routes"]["known"], s["routes"]["unknown"]
    for r in (known, unknown):
        check_route(r)
        assert r["status"] == {"401": r["requests"]}  # invalid_credentials both ways
        assert "latency_histogram" not in r  # loadgen's, used for the test, not kept
    ks = s["latency_ks"]["known"]["unknown"]
    assert ks["samples"] == [known["requests"], unknown["requests"]]
    assert 0 <= ks["statistic"] <= 1 and 0 <= ks["p_value"] <= 1
    (threshold,) = s["thresholds"]
    assert threshold["metric"] == "latency_ks.known.unknown.p_value" and threshold["measured"] == ks["p_value"]
    assert p.returncode == (0 if ks["p_value"] > 0.01 else 1)


def test_search_runs_as_an_admin_and_a_secretariat_logged_in_with_totp(tmp_path):
    out = str(tmp_path / "search")
    p = bench("search", "--accounts", "2000", "--duration", "2s", "--out", out, *FAST, timeout=300)
    assert p.returncode in (0, 1), p.stderr + p.stdout  # 1: the p99 target on a shared machine
    s, _ = load(out)
    assert set(s["routes"]) == {"national", "school"}
    for r in s["routes"].values():
        check_route(r)
        assert r["status"] == {"200": r["requests"]}  # a session refused or out of scope would be 401/403
    assert [t["name"] for t in s["thresholds"]] == ["national_p99", "school_p99"]


def test_refuses_a_remote_target():
    p = bench_plain("healthz", "--target", "http://192.0.2.10:8080")
    assert p.returncode == 2
    assert "--allow-remote" in p.stderr and "loopback" in p.stderr
    p = subprocess.run([LOADGEN, "--target", "192.0.2.10:8080", "--duration", "1s"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--allow-remote" in p.stderr


def test_bad_usage_exits_2(tmp_path):
    assert bench_plain("no_such_scenario").returncode == 2
    bad = tmp_path / "bad.ini"
    bad.write_text("[scenario]\nname = bad\n[route x]\npath = no-slash\n")
    p = bench_plain(str(bad))
    assert p.returncode == 2 and "line 4" in p.stderr
    assert bench_plain("healthz", "--duration", "2h").returncode == 2
    assert bench_plain("compare", "only-one.json").returncode == 2


def test_server_survives_clients_resetting_during_static_responses(start_server):
    """Found by the evening: a reset during a sendfile() response raised SIGPIPE."""
    srv = start_server()
    c = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
    c.request("GET", "/")
    page = c.getresponse().read()
    c.close()
    css = re.search(rb"/assets/[^\"]+\.css", page).group(0).decode()
    for _ in range(50):
        s = socket.create_connection((srv.host, srv.port), timeout=10)
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % css).encode())
        s.recv(100)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST on close
        s.close()
    c = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
    c.request("GET", "/healthz")
    assert c.getresponse().status == 200
    assert srv.proc.poll() is None


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return out


def test_interrupted_run_stops_every_process_it_started(tmp_path):
    scenario = tmp_path / "long.ini"
    scenario.write_text("[scenario]\nname = long\nconnections = 2\nstage = 10m 100%\n\n[route healthz]\npath = /healthz\n")
    p = subprocess.Popen([sys.executable, BENCH, str(scenario), "--accounts", "50", "--build", BUILD,
                          "--out", str(tmp_path / "out"), *FAST], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        for line in p.stderr:  # the bench says when the load starts
            if line.startswith("bench: running long"):
                break
        started = children_of(p.pid)
        names = set()
        for pid in started:
            with open("/proc/%d/comm" % pid) as f:
                names.add(f.read().strip())
        assert {"sesame", "loadgen"} <= names, names
        p.send_signal(signal.SIGINT)  # the bench only, not its process group
        assert p.wait(timeout=120) == 130
        for pid in started:
            assert not os.path.exists("/proc/%d" % pid), "process %d still there" % pid
    finally:
        if p.poll() is None:  # the bench and all it started: its own process group
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
