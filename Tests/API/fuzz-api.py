#!/usr/bin/env python3
"""Fuzzes a live `tenda serve --demo` with schemathesis, driven by the server's own /openapi.json.

    python3 Tests/API/fuzz-api.py [--tenda PATH] [--seconds N] [--seed N]

Starts the server on a fresh demo shop in a temporary folder with the rate limits lifted (so
the fuzzer reaches every operation instead of a wall of 429s), signs in as the demo owner and
as a plain user with initData signed by the run's own bot token, and runs schemathesis:

1. as a user, then as the owner (whose runs may change the user's role): every check, a
   fixed seed and a time budget, first the examples, coverage and fuzzing phases, then the
   stateful phase (links between operations) with a budget of its own; the operations that
   end sessions (logout, ending a device, an owner ending a user's sessions) are left out
   of these because they could end the run's own session;
2. the user's runs add `role_respected` (schemathesis_hooks.py): no operation whose
   `x-minimum-role` is above `user` may answer 2xx;
3. those operations, alone, as a third signed-in user, before the owner's runs; and ending
   a user's sessions as the owner, last, when nothing else needs the owner's session.

After every run the server must still answer /health: a request that stops the process is
the worst failure there is. Exits non-zero on any failure, and prints schemathesis's summary.
"""

import argparse
import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BOT_TOKEN = "123456789:fuzzing-token-not-telegrams-0123456789"
# Demo people (fixtures/demo-shop.json): Ana is the owner, Diego and Fernanda plain users.
OWNER = (6299497812, "Ana Paula")
USER = (5309476566, "Diego")
LOGOUT_USER = (697283485, "Fernanda")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_data(telegram_id, first_name):
    """initData signed as Telegram signs it (TELEGRAM.md): sorted `key=value` lines, HMAC keyed by the bot token."""
    fields = {
        "auth_date": str(int(time.time())),
        "query_id": "AAFuzz",
        "user": json.dumps({"id": telegram_id, "first_name": first_name, "language_code": "pt-br"}, separators=(",", ":")),
    }
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", BOT_TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urllib.parse.urlencode(fields)


def post(base, path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def sign_in(base, person):
    return post(base, "/api/auth/telegram", {"initData": init_data(*person)})["accessToken"]


def healthy(base):
    try:
        with urllib.request.urlopen(base + "/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def schemathesis(base, token, role, seed, seconds, extra, report):
    """One schemathesis run; returns its exit code."""
    # schemathesis from the same environment as this script (.build-venv), else from PATH.
    st = os.path.join(os.path.dirname(sys.executable), "st")
    command = [
        st if os.path.exists(st) else "st", "--config-file", os.path.join(HERE, "schemathesis.toml"), "run", base + "/openapi.json", "--url", base,
        "-H", f"Authorization: Bearer {token}",
        "--checks", "all",
        # DELETE /api/products/{id} archives (CONTRACT: "delete (soft)"): orders, receipts and the
        # ledger keep pointing at the product, so an admin still reads and edits it, with
        # `active: false`, and may bring it back. A 200 after the archive is the contract, not a
        # resource used after free. Excluded here, not in schemathesis.toml: `--checks all` turns
        # the file's `enabled = false` back on (CI, 2026-12-04: ST301 for a PATCH of p28 after
        # its DELETE in the owner's stateful phase). The API's only other DELETEs end sessions.
        "--exclude-checks", "use_after_free",
        "--seed", str(seed),
        "--max-time", str(seconds),
        # One worker: with two, CPython 3.11's ast module (hypothesis parses lambdas for its
        # reports) shares its recursion counter between threads and fails inside schemathesis
        # ("AST constructor recursion depth mismatch").
        "--workers", "1",
        "--request-timeout", "30",
        "--suppress-health-check", "all",
        "--report", "junit", "--report-junit-path", report,
        *extra,
    ]
    print(f"\n$ {' '.join(c if 'Bearer' not in c else 'Authorization: Bearer …' for c in command)}", flush=True)
    env = dict(os.environ, TENDA_FUZZ_ROLE=role, SCHEMATHESIS_HOOKS="schemathesis_hooks",
               PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.call(command, env=env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenda", default=None, help="the tenda executable (default: swift build's debug binary)")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_API_SECONDS", "180")),
                        help="time budget of the owner's run; the user's gets half (default 180, or FUZZ_API_SECONDS)")
    parser.add_argument("--seed", type=int, default=20261203)
    arguments = parser.parse_args()

    tenda = arguments.tenda
    if tenda is None:
        bin_path = subprocess.check_output(["swift", "build", "--show-bin-path"], cwd=ROOT, text=True).strip()
        tenda = os.path.join(bin_path, "tenda")
    data = tempfile.mkdtemp(prefix="tenda-fuzz-api-")
    reports = os.path.join(data, "reports")
    os.makedirs(reports)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = os.path.join(data, "server.log")
    log = open(log_path, "w")
    server = subprocess.Popen(
        [tenda, "serve", "--demo", "--data-dir", os.path.join(data, "shop"), "--port", str(port),
         "--bot-token", BOT_TOKEN, "--telegram-api", "http://127.0.0.1:9",  # nothing listens: the bot only retries
         "--user-rate-limit", "100000", "--address-rate-limit", "100000"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    failures = []
    try:
        deadline = time.time() + 120
        while not healthy(base):
            if server.poll() is not None or time.time() > deadline:
                raise SystemExit(f"tenda serve did not come up; its log:\n{open(log_path).read()}")
            time.sleep(0.2)
        owner, user, leaving = sign_in(base, OWNER), sign_in(base, USER), sign_in(base, LOGOUT_USER)
        ending = ["/api/auth/logout", "/api/auth/sessions/{id}", "/api/users/{id}/sessions"]
        everything_but_ending = [option for path in ending for option in ("--exclude-path", path)]
        only_ending = [option for path in ending for option in ("--include-path", path)]
        stateless = ["--phases", "examples,coverage,fuzzing"]
        # Stateful runs apart, with a budget of its own: in one run the fuzzing phase would
        # spend the whole budget before the first scenario.
        stateful = ["--phases", "stateful"]
        half = max(arguments.seconds // 2, 30)
        # The user's runs come first: the owner's may change their role or block them.
        runs = [
            ("user", user, half, stateless + everything_but_ending),
            ("user", user, half // 2, stateful + everything_but_ending),
            ("user", leaving, 60, stateless + only_ending),
            ("owner", owner, arguments.seconds, stateless + everything_but_ending),
            ("owner", owner, half, stateful + everything_but_ending),
            ("owner", owner, 60, stateless + ["--include-path", "/api/users/{id}/sessions"]),
        ]
        for i, (role, token, seconds, extra) in enumerate(runs):
            code = schemathesis(base, token, role, arguments.seed, seconds, extra, os.path.join(reports, f"run{i}.xml"))
            alive = server.poll() is None and healthy(base)
            print(f"schemathesis as {role} ({' '.join(extra)}): exit {code}; server {'up' if alive else 'DOWN'}", flush=True)
            if code != 0:
                failures.append(f"schemathesis as {role} found failures")
            if not alive:
                failures.append(f"the server stopped during the {role} run")
                break
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        crashed = [line for line in open(log_path) if "Fatal error" in line or "Illegal instruction" in line]
        if crashed:
            failures.append("the server log shows a crash: " + crashed[0].strip())
        if failures:
            print(f"server log kept at {log_path}")
        else:
            shutil.rmtree(data, ignore_errors=True)
    if failures:
        print("\nAPI fuzzing FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nAPI fuzzing passed: 0 failures, the server stayed up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
