#!/usr/bin/env python3
"""The admin user list at scale: first page, filtered page, page 10,000, sort on last login,
a rare substring search (and a few more), each timed at the server.

Seeds the database with `gatehouse seed-users` if it has fewer users than asked, starts the
release binary on it (port 0, loopback), logs in as an admin made with `create-admin`, and
requests each page ROUNDS times. Server time is read from the access log line of each
request (matched by X-Request-Id); client time is the loopback round trip.

    cargo build --release
    python3 bench/admin_list.py --database-url sqlite:///tmp/million.db --users 1000000
    python3 bench/admin_list.py --database-url postgres://postgres@127.0.0.1:5432/gatehouse_bench --users 1000000

The pages filtered by two-step login find nobody with it on unless some users have it: see
docs/benchmarks.md for the UPDATE that turns it on for 1% of the seeded users.
"""
import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "gatehouse")
ADMIN = ("bench-admin@example.com", "bench admin passphrase")

PAGES = [
    ("first page (newest first)", "/admin/users"),
    ("filtered: active users", "/admin/users?role=user&status=active"),
    ("page 10,000", "/admin/users?page=10000"),
    ("sort on last login", "/admin/users?sort=-last_login"),
    ("rare substring search", "/admin/users?q=654321%40"),
    ("page 10,000 sorted by name", "/admin/users?sort=name&page=10000"),
    ("common substring (count capped)", "/admin/users?q=given1"),
    ("user page", "/admin/users/500000"),
    # With two-step login on for some users (see docs/benchmarks.md); the counters do not
    # split by it, so these totals are capped like a search's.
    ("two-step login on", "/admin/users?two_factor=on"),
    ("two-step login on, sorted by name", "/admin/users?two_factor=on&sort=name"),
    ("two-step login off", "/admin/users?two_factor=off"),
    ("two-step login off, page 10,000", "/admin/users?two_factor=off&page=10000"),
]


def environment(database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=database_url, GATEHOUSE_IP_RATE_LIMIT="off", GATEHOUSE_BCRYPT_COST="10")
    return env


def run(args, env, stdin=None):
    return subprocess.run([BINARY, *args], env=env, input=stdin, capture_output=True, text=True)


class Server:
    def __init__(self, env, workdir):
        env = dict(env, GATEHOUSE_ADDR="127.0.0.1:0", RUST_LOG="warn,gatehouse::cli=info,gatehouse::access=info")
        self.proc = subprocess.Popen([BINARY], env=env, cwd=workdir, stderr=subprocess.PIPE, text=True)
        self.times, self.base = {}, None
        for line in self.proc.stderr:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.base = f"http://127.0.0.1:{m.group(1)}"
                break
        threading.Thread(target=self.read_log, daemon=True).start()

    def read_log(self):
        for line in self.proc.stderr:
            m = re.search(r" ([0-9.]+)ms user=\S+ request_id=(\w+)", line)
            if m:
                self.times[m.group(2)] = float(m.group(1))

    def server_ms(self, request_id):
        for _ in range(200):
            if request_id in self.times:
                return self.times[request_id]
            time.sleep(0.005)
        raise RuntimeError("no access log line for " + request_id)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    env = environment(args.database_url)
    seeded = run(["seed-users", "--count", str(args.users)], env)
    print(seeded.stdout.strip().splitlines()[-1] if seeded.stdout else seeded.stderr)
    run(["create-admin", "--email", ADMIN[0], "--name", "Bench Admin"], env, stdin=ADMIN[1] + "\n")
    workdir = os.path.join("/tmp", "gatehouse-bench")
    os.makedirs(workdir, exist_ok=True)
    server = Server(env, workdir)
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        html = opener.open(server.base + "/login").read().decode()
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', html).group(1)
        form = urllib.parse.urlencode({"email": ADMIN[0], "password": ADMIN[1], "csrf_token": token}).encode()
        opener.open(server.base + "/login", data=form)
        rows = []
        for label, path in PAGES:
            server_ms, client_ms = [], []
            for _ in range(args.rounds):
                started = time.perf_counter()
                with opener.open(server.base + path) as response:
                    body = response.read().decode()
                    request_id = response.headers["x-request-id"]
                client_ms.append((time.perf_counter() - started) * 1000)
                server_ms.append(server.server_ms(request_id))
            count = re.search(r'class="count" role="status">([^<]+)<', body)
            rows.append((label, path, statistics.median(server_ms), max(server_ms), statistics.median(client_ms),
                         count.group(1) if count else ""))
    finally:
        server.stop()
    backend = args.database_url.split(":")[0]
    print(f"\n{backend}, {args.users:,} users, {args.rounds} requests each, cores: {os.cpu_count()}\n")
    print("| page | URL | server median ms | server max ms | client median ms | shows |")
    print("|---|---|---|---|---|---|")
    for label, path, median, worst, client, count in rows:
        print(f"| {label} | `{path}` | {median:.1f} | {worst:.1f} | {client:.1f} | {count} |")


if __name__ == "__main__":
    main()
