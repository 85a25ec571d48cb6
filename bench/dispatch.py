"""Benchmark: the outbox dispatcher sending 10,000 messages to a loopback webhook.

    python -m bench.dispatch [--messages N] [--apprise-sample N] [--no-doc]

The receiver is ``tests.fakes.webhook_server.FakeWebhookServer`` running in its
own process (so that its threads do not compete with the dispatcher for the GIL),
answering after 50 ms, then after 0 ms. For each delay, in the same run and each
in a fresh process:

- the product: N queued outbox messages (kind 'test', channel 'webhook', set-based
  insert) in a SQLite database, channel url ``${DANVAN_WEBHOOK_URL}`` with
  rate_per_second 5000 and concurrency 64, ``dispatch(batch=1000)``; checked: all N
  'sent', the server got N requests with N distinct Idempotency-Key headers;
- the product again with its three database phases timed (``claim``, ``_prepare``,
  ``_record`` wrapped in the benchmark process; product code unchanged), 50 ms only;
- baseline: a plain loop ``a = apprise.Apprise(); a.add(url); a.notify(body, title)``
  on a sample of messages, its rate extrapolated to N (labelled);
- ceiling (0 ms): a raw ``http.client`` keep-alive loop posting the same JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import (
    ROOT,
    LoadMonitor,
    child_result,
    log,
    machine_facts,
    rss_now_mb,
    run_child,
    table,
    update_section,
)

MESSAGES = 10_000
BATCH = 1000
RATE = 5000
CONCURRENCY = 64
TARGET_RATE = 500.0
TARGET_RATIO = 20.0
SUBJECT = "Thông báo thử tải"
BODY = "Kính gửi đồng chí: đây là thông báo thử tải của hệ thống nhắc hạn báo cáo. " * 4

SERVER = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
from tests.fakes.webhook_server import FakeWebhookServer
srv = FakeWebhookServer(delay=float(sys.argv[1])).start()
print(srv.port, flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "stats":
        with srv._lock:
            reqs = list(srv.requests)
        keys = {r.header("Idempotency-Key") for r in reqs} - {None}
        print(json.dumps({"requests": len(reqs), "distinct_keys": len(keys)}), flush=True)
    elif cmd == "reset":
        with srv._lock:
            srv.requests.clear()
        print("{}", flush=True)
    elif cmd == "quit":
        break
srv.stop()
"""


class Server:
    """FakeWebhookServer in a subprocess, driven over stdin/stdout."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(delay), str(ROOT)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     cwd=ROOT)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def _cmd(self, cmd: str) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        data: dict[str, int] = json.loads(self.proc.stdout.readline())
        return data

    def stats(self) -> dict[str, int]:
        return self._cmd("stats")

    def reset(self) -> None:
        self._cmd("reset")

    def stop(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------- data


def build_outbox(url: str, n: int) -> None:
    import datetime as dt

    from sqlalchemy import insert

    from danvan_workflow.db import models as m
    from danvan_workflow.db.migrate import upgrade
    from danvan_workflow.db.session import make_engine
    from danvan_workflow.timeutil import now

    upgrade(url)
    eng = make_engine(url)
    t = now()
    with eng.begin() as conn:
        conn.execute(insert(m.tbl(m.Channel)), [dict(
            code="webhook", kind="webhook", url="${DANVAN_WEBHOOK_URL}", rate_per_second=RATE,
            concurrency=CONCURRENCY, max_attempts=8)])
        conn.execute(insert(m.tbl(m.OutboxMessage)), [dict(
            idempotency_key=f"bench.{i:06d}", channel_code="webhook", kind="test",
            planned_for=t.date(), subject=f"{SUBJECT} {i}", body=BODY, status="pending",
            attempts=0, next_attempt_at=t - dt.timedelta(minutes=1), created_at=t)
            for i in range(n)])
    eng.dispose()


# --------------------------------------------------------------------------- children


def child_dispatcher(url: str, phases: bool) -> None:
    from danvan_workflow.db.session import make_engine
    from danvan_workflow.services import outbox

    timings: dict[str, float] = {"claim": 0.0, "_prepare": 0.0, "_record": 0.0}
    if phases:
        for name in timings:
            fn = getattr(outbox, name)

            def timed(*a: Any, _fn: Any = fn, _name: str = name, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return _fn(*a, **k)
                finally:
                    timings[_name] += time.perf_counter() - t

            setattr(outbox, name, timed)
    eng = make_engine(url)
    outbox.register_plugins()
    with eng.connect():
        pass
    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    stats = outbox.dispatch(engine=eng, batch=BATCH)
    seconds = time.perf_counter() - t0
    from sqlalchemy.orm import Session

    with Session(eng) as s:
        counts = outbox.counts(s)
    child_result(dict(seconds=seconds, rss_before_mb=rss_before, sent=stats.sent,
                      batches=stats.batches, statuses=counts, phases=timings if phases else None))


def child_apprise(port: int, n: int) -> None:
    import apprise

    url = f"json://127.0.0.1:{port}/hook"
    ok = 0
    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    for i in range(n):
        a = apprise.Apprise()
        a.add(url)
        ok += bool(a.notify(body=BODY, title=f"{SUBJECT} {i}"))
    seconds = time.perf_counter() - t0
    child_result(dict(seconds=seconds, rss_before_mb=rss_before, sent=ok))


def child_raw(port: int, n: int) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    ok = 0
    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    for i in range(n):
        payload = json.dumps({"version": "1.0", "title": f"{SUBJECT} {i}", "message": BODY,
                              "attachments": [], "type": "info"}, ensure_ascii=False)
        conn.request("POST", "/hook", body=payload.encode("utf-8"), headers={
            "Content-Type": "application/json", "User-Agent": "bench/1",
            "Idempotency-Key": f"raw.{i:06d}"})
        resp = conn.getresponse()
        resp.read()
        ok += resp.status == 200
    seconds = time.perf_counter() - t0
    conn.close()
    child_result(dict(seconds=seconds, rss_before_mb=rss_before, sent=ok))


# --------------------------------------------------------------------------- parent


def _dispatcher_variant(server: Server, n: int, phases: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench_dispatch_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'outbox.db'}"
        build_outbox(url, n)
        server.reset()
        r = run_child("bench.dispatch", ["--child", "dispatcher", "--url", url]
                      + (["--phases"] if phases else []),
                      env={"DANVAN_WEBHOOK_URL": f"json://127.0.0.1:{server.port}/hook"})
    r["server"] = server.stats()
    sent = r["statuses"].get("sent", 0)
    ok = sent == n and r["server"]["requests"] == n and r["server"]["distinct_keys"] == n
    r["check"] = (f"{sent:,} 'sent'; server: {r['server']['requests']:,} requests, "
                  f"{r['server']['distinct_keys']:,} distinct Idempotency-Key"
                  + ("" if ok else f" — EXPECTED {n:,}; statuses {r['statuses']}"))
    r["count"] = n
    return r


def run(n: int, sample: int, sample0: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for delay in (0.05, 0.0):
        server = Server(delay)
        ms = f"{delay * 1000:.0f} ms"
        try:
            log(f"server delay {ms} on port {server.port}: dispatcher")
            r = _dispatcher_variant(server, n, phases=False)
            out.append(dict(delay=ms, variant="product: `dispatch(batch=1000)`",
                            measured=f"{n:,} (full)", **r))
            log(f"  {n / r['seconds']:.0f} msg/s; {r['check']}")
            if delay:
                log("  dispatcher with phase timing")
                r = _dispatcher_variant(server, n, phases=True)
                out.append(dict(delay=ms, variant="product, phases timed (2nd run)",
                                measured=f"{n:,} (full)", **r))
                log(f"  {n / r['seconds']:.0f} msg/s; phases {r['phases']}")
            k = sample if delay else sample0
            server.reset()
            log(f"  plain Apprise loop, {k} messages")
            r = run_child("bench.dispatch", ["--child", "apprise", "--port", str(server.port),
                                             "--n", str(k)])
            st = server.stats()
            r["check"] = (f"{r['sent']:,} notify() True; server {st['requests']:,} requests; "
                          f"rate extrapolated to {n:,} messages")
            out.append(dict(delay=ms, variant="baseline: plain `Apprise().add(); notify()` loop",
                            measured=f"sample of {k:,}", count=k, **r))
            log(f"  {k / r['seconds']:.1f} msg/s")
            if not delay:
                server.reset()
                log(f"  raw http.client keep-alive loop, {n} messages")
                r = run_child("bench.dispatch", ["--child", "raw", "--port", str(server.port),
                                                 "--n", str(n)])
                st = server.stats()
                r["check"] = f"{r['sent']:,} HTTP 200; server {st['requests']:,} requests"
                out.append(dict(delay=ms, variant="ceiling: raw `http.client` keep-alive loop "
                                                   "(1 connection)",
                                measured=f"{n:,} (full)", count=n, **r))
                log(f"  {n / r['seconds']:.0f} msg/s")
        finally:
            server.stop()
    return out


def render(results: list[dict[str, Any]], n: int, facts: str, load: str, wall: float) -> str:
    rows = []
    for r in results:
        rate = r["count"] / r["seconds"]
        rows.append([r["delay"], r["variant"], r["measured"], r["seconds"], rate,
                     n / rate, r["peak_rss_mb"], r["check"]])
    tab = table(["server delay", "variant", "messages measured", "time (s)", "msg/s",
                 f"time for {n:,} (s)", "peak RSS (MB)", "check"], rows)

    def pick(delay: str, prefix: str) -> dict[str, Any] | None:
        return next((r for r in results if r["delay"] == delay
                     and r["variant"].startswith(prefix)), None)

    notes = []
    prod50, base50 = pick("50 ms", "product: "), pick("50 ms", "baseline")
    if prod50 and base50:
        rate = prod50["count"] / prod50["seconds"]
        brate = base50["count"] / base50["seconds"]
        notes.append(
            f"- **50 ms**: dispatcher {rate:,.0f} msg/s "
            f"({'meets' if rate >= TARGET_RATE else 'misses'} the {TARGET_RATE:.0f} msg/s "
            f"target), {rate / brate:.0f}× the plain Apprise loop ({brate:.1f} msg/s; "
            f"target > {TARGET_RATIO:.0f}×: {'met' if rate / brate > TARGET_RATIO else 'missed'})."
            f" Upper bound with {CONCURRENCY} threads and 50 ms per reply: "
            f"{CONCURRENCY / 0.05:,.0f} msg/s.")
    ph = pick("50 ms", "product, phases")
    if ph and ph.get("phases"):
        p = ph["phases"]
        db = sum(p.values())
        notes.append(
            f"- Where the 50 ms run's {ph['seconds']:.1f} s go ({ph['batches']} batches of "
            f"{BATCH}): `claim` {p['claim']:.2f} s, `_prepare` {p['_prepare']:.2f} s, "
            f"`_record` {p['_record']:.2f} s (database phases {db:.2f} s, "
            f"{db / ph['seconds']:.0%}); the rest ({ph['seconds'] - db:.2f} s) is the thread "
            "pool sending (each batch waits for its slowest send before the next claim).")
    prod0, raw0, base0 = pick("0 ms", "product: "), pick("0 ms", "ceiling"), pick("0 ms", "base")
    if prod0 and raw0:
        rate, rr = prod0["count"] / prod0["seconds"], raw0["count"] / raw0["seconds"]
        notes.append(
            f"- **0 ms**: dispatcher {rate:,.0f} msg/s, raw keep-alive loop {rr:,.0f} msg/s "
            f"(dispatcher = {rate / rr:.0%} of it)"
            + (f", plain Apprise loop {base0['count'] / base0['seconds']:,.0f} msg/s" if base0
               else "") + ".")
    return "\n".join([
        f"## Dispatch: {n:,} notifications to a loopback webhook",
        "",
        f"Script: `python -m bench.dispatch --messages {n}`. Machine: {facts}.",
        "",
        f"Load while it ran ({wall / 60:.1f} min): {load}.",
        "",
        "Receiver: `tests.fakes.webhook_server.FakeWebhookServer` (ThreadingHTTPServer, "
        "HTTP/1.1 keep-alive) in its own process, answering after 50 ms, then 0 ms. "
        f"Product: {n:,} queued outbox messages (kind 'test', channel 'webhook') in a SQLite "
        f"database, channel url `${{DANVAN_WEBHOOK_URL}}` = `json://127.0.0.1:PORT/hook`, "
        f"rate_per_second {RATE}, concurrency {CONCURRENCY} (so {CONCURRENCY} sender "
        f"threads), `dispatch(batch={BATCH})`; time from the call to its return (claim, "
        "prepare, send, record; commits included). Baseline: a plain loop creating "
        "`apprise.Apprise()`, `add(url)`, `notify(body, title)` per message (Apprise's own "
        "json:// transport, `requests` without a session: one TCP connection per message), "
        "on a sample, rate extrapolated (labelled). Ceiling at 0 ms: one `http.client` "
        "keep-alive connection posting the same JSON in a loop (sequential; the server "
        "process's per-request cost bounds it). The server and the benchmark share the "
        "2 cores.",
        "",
        tab,
        "",
        *notes,
    ])


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=MESSAGES)
    p.add_argument("--apprise-sample", type=int, default=200,
                   help="plain Apprise loop sample at 50 ms")
    p.add_argument("--apprise-sample-0ms", type=int, default=1000)
    p.add_argument("--no-doc", action="store_true", help="print only, leave docs/ alone")
    p.add_argument("--child", choices=["dispatcher", "apprise", "raw"], help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--phases", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child == "dispatcher":
        child_dispatcher(a.url, a.phases)
        return ""
    if a.child == "apprise":
        child_apprise(a.port, a.n)
        return ""
    if a.child == "raw":
        child_raw(a.port, a.n)
        return ""
    os.environ.pop("DANVAN_WEBHOOK_URL", None)
    facts = machine_facts(with_pg=False)
    with LoadMonitor() as mon:
        results = run(a.messages, a.apprise_sample, a.apprise_sample_0ms)
    section = render(results, a.messages, facts, mon.summary(), mon.elapsed)
    print(section)
    if not a.no_doc:
        update_section("dispatch", section)
    return section


if __name__ == "__main__":
    main(sys.argv[1:])
