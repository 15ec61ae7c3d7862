#!/usr/bin/env python3
"""Login flood: do pages that need no password hash keep answering while bcrypt is busy?

Starts the release binary (bcrypt cost 12, the default) on a loopback port with a fresh
SQLite database, measures GET /login latency at rest, then again while FLOOD_CLIENTS clients
post wrong passwords as fast as they can (each one costs a full bcrypt verification).
Prints a Markdown table for docs/benchmarks.md.

    cargo build --release && python3 bench/login_flood.py [--clients 16] [--seconds 20]
"""
import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "gatehouse")
PASSWORD = "correct horse battery staple"


class Browser:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())

    def get(self, path):
        try:
            with self.opener.open(self.base + path, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, path, fields):
        _, html = self.get("/login")
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', html).group(1)
        data = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def start_server(workdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_") and k != "DATABASE_URL"}
    env.update(GATEHOUSE_ADDR="127.0.0.1:0", GATEHOUSE_IP_RATE_LIMIT="off", RUST_LOG="warn,gatehouse::cli=info")
    proc = subprocess.Popen([BINARY], cwd=workdir, env=env, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, f"http://127.0.0.1:{m.group(1)}"
    raise SystemExit("server did not start")


def page_latencies(base, seconds):
    browser, samples, end = Browser(base), [], time.time() + seconds
    while time.time() < end:
        t = time.perf_counter()
        status, _ = browser.get("/login")
        assert status == 200, status
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def login_timings(base, email, rounds=15):
    browser, samples = Browser(base), []
    for _ in range(rounds):
        t = time.perf_counter()
        assert browser.post("/login", {"email": email, "password": "wrong password!"}) == 401
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def summary(samples):
    q = statistics.quantiles(samples, n=100)
    return f"{len(samples)} | {statistics.median(samples):.1f} | {q[94]:.1f} | {q[98]:.1f} | {max(samples):.1f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    if not os.path.exists(BINARY):
        raise SystemExit("build first: cargo build --release")
    with tempfile.TemporaryDirectory() as workdir:
        proc, base = start_server(workdir)
        try:
            assert Browser(base).post("/register", {"name": "Flood", "email": "flood@example.com",
                                                    "password": PASSWORD, "password_confirm": PASSWORD}) == 303
            idle = page_latencies(base, 5)
            known, unknown = login_timings(base, "flood@example.com"), login_timings(base, "nobody@example.com")
            stop, attempts = threading.Event(), []

            def flood():
                browser = Browser(base)
                while not stop.is_set():
                    status = browser.post("/login", {"email": "flood@example.com", "password": "wrong password!"})
                    attempts.append(status)

            threads = [threading.Thread(target=flood) for _ in range(args.clients)]
            for t in threads:
                t.start()
            time.sleep(2)
            started = len(attempts)
            busy = page_latencies(base, args.seconds)
            done = len(attempts) - started
            stop.set()
            for t in threads:
                t.join()
            statuses = sorted(set(attempts))
        finally:
            proc.terminate()
            proc.wait()
    print(f"cores: {os.cpu_count()}, bcrypt cost 12, {args.clients} flooding clients, {args.seconds} s\n")
    print("| GET /login | requests | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    print(f"| at rest | {summary(idle)} |")
    print(f"| during the login flood | {summary(busy)} |")
    print("\n| refused login (one page load + one POST) | median ms |")
    print("|---|---|")
    print(f"| known email, wrong password | {statistics.median(known):.1f} |")
    print(f"| unknown email | {statistics.median(unknown):.1f} |")
    print(f"\nfailed logins verified during the flood: {done / args.seconds:.1f}/s; statuses seen: {statuses}")


if __name__ == "__main__":
    main()
