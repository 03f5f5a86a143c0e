#!/usr/bin/env python3
"""Slow clients against a loopback Sésame (bench/slow_clients.sh drives it).

    slow_clients.py HOST PORT --slowloris N --slow-readers M --seconds S

Opens N connections that trickle a request header one byte every few
seconds (slowloris) and M connections that ask for a page and read the
answer one byte at a time (slow read), spread over source addresses
127.0.0.10 and up (at most 100 connections each), keeps them going for S
seconds (re-opening what the server closes), prints "ready" on stdout once
all are open, and at the end one JSON line: how many were open at the peak,
how many the server closed, and when. Loopback only; bounded in count and time.
"""

import argparse
import asyncio
import json
import resource
import sys
import time

PER_ADDRESS = 100


def source(i):
    n = 10 + i // PER_ADDRESS
    return "127.0.%d.%d" % (n // 250, n % 250 + 1)


async def slowloris(host, port, i, stop, stats):
    header = b"GET /healthz HTTP/1.1\r\nHost: sesame\r\nX-Slow: " + b"a" * 64 + b"\r\n"
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=(source(i), 0))
        except OSError:
            stats["connect_failed"] += 1
            await asyncio.sleep(0.5)
            continue
        stats["open"] += 1
        stats["peak"] = max(stats["peak"], stats["open"])
        try:
            for b in header:
                if stop.is_set():
                    break
                writer.write(bytes([b]))
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), timeout=3.0) == b"":
                        stats["closed_by_server"] += 1
                        break
                except asyncio.TimeoutError:
                    pass
        except (ConnectionError, OSError):
            stats["closed_by_server"] += 1
        finally:
            stats["open"] -= 1
            writer.close()


async def slow_reader(host, port, path, i, stop, stats):
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=(source(i), 0))
        except OSError:
            stats["connect_failed"] += 1
            await asyncio.sleep(0.5)
            continue
        stats["open"] += 1
        stats["peak"] = max(stats["peak"], stats["open"])
        try:
            writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: sesame\r\nAccept-Encoding: identity\r\n\r\n")
            await writer.drain()
            while not stop.is_set():
                b = await reader.read(1)
                if b == b"":
                    stats["closed_by_server"] += 1
                    break
                await asyncio.sleep(0.2)
        except (ConnectionError, OSError):
            stats["closed_by_server"] += 1
        finally:
            stats["open"] -= 1
            writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--slowloris", type=int, default=5000)
    p.add_argument("--slow-readers", type=int, default=1000)
    p.add_argument("--path", default="/metrics")
    p.add_argument("--seconds", type=float, default=20)
    a = p.parse_args()
    if not a.host.startswith("127."):
        sys.exit("loopback targets only")
    a.slowloris, a.slow_readers = min(a.slowloris, 20000), min(a.slow_readers, 5000)
    a.seconds = min(a.seconds, 600)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stop = asyncio.Event()
    stats = {"open": 0, "peak": 0, "closed_by_server": 0, "connect_failed": 0}
    tasks = [asyncio.create_task(slowloris(a.host, a.port, i, stop, stats)) for i in range(a.slowloris)]
    tasks += [asyncio.create_task(slow_reader(a.host, a.port, a.path, a.slowloris + i, stop, stats))
              for i in range(a.slow_readers)]
    started = time.monotonic()
    while stats["open"] < (a.slowloris + a.slow_readers) * 0.95 and time.monotonic() - started < 30:
        await asyncio.sleep(0.1)
    print("ready", flush=True)
    await asyncio.sleep(a.seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=10)
    print(json.dumps({"slowloris": a.slowloris, "slow_readers": a.slow_readers, "peak_open": stats["peak"],
                      "closed_by_server": stats["closed_by_server"], "connect_failed": stats["connect_failed"],
                      "seconds": a.seconds}), flush=True)


asyncio.run(main())
