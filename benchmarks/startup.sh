#!/usr/bin/env bash
# `tenda serve`'s start-up on a store of a million sales: the self-contained binary
# (deploy/build-release: static Swift runtime, Foundation and liblmdb) beside the ordinary
# dynamic release build of the same sources, on the same store, started in turn.
#
#     bash benchmarks/startup.sh [SALES] [RUNS]      # 1,000,000 sales, 5 starts per binary
#
# The dynamic binary is the ordinary `swift build -c release` of the same sources, in its own
# build folder (a second cold build the first time). The store is made with
# `tenda import` from a generated shop document (every sale through the buy command), once.
# Time is from just before the process is spawned to the first 200 on GET /health, polled
# every millisecond on a fresh connection; SIGTERM between starts. Prints a Markdown report.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
sales=${1:-1000000} runs=${2:-5}
started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

static=$(bash deploy/build-release | tail -n 1)
static=$(realpath --relative-to=. "$static")
# In a folder of its own: other flags rebuild every module, and sharing deploy/build-release's
# folder would make each build undo the other.
swift build -c release --scratch-path .build-release-dynamic --product tenda >&2
dynamic=$(swift build -c release --scratch-path .build-release-dynamic --show-bin-path)/tenda
dynamic=$(realpath --relative-to=. "$dynamic")

work=$(mktemp -d /tmp/tenda-startup-XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "making a shop document with $sales sales" >&2
python3 - "$sales" "$work/shop.json" <<'PY'
import json, random, sys
from datetime import datetime, timedelta, timezone
sales, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
start = datetime(2025, 12, 1, tzinfo=timezone.utc)
def at(seconds): return (start + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
users = [{"ref": "owner", "telegramId": 1000, "name": "Dona", "role": "owner", "at": at(0)}]
users += [{"ref": f"u{n}", "telegramId": 2000 + n, "name": f"Cliente {n}", "role": "user", "at": at(1)} for n in range(200)]
products = [{"ref": f"p{n}", "name": f"Produto {n}", "emoji": "🍗", "category": f"Categoria {n % 6}", "description": f"Produto número {n}",
             "price": 100 + 50 * n, "stock": 1_000_000, "lowStockThreshold": 5, "at": at(2), "by": "owner"} for n in range(60)]
step = 365 * 86400 / sales
with open(path, "w") as out:
    out.write(json.dumps({"format": 1, "shop": {"name": "Startup bench", "currency": "BRL"}, "users": users, "products": products})[:-1])
    out.write(', "events": [')
    for n in range(sales):
        first = rng.randrange(60)
        items = [{"product": f"p{first}", "quantity": 1 + rng.randrange(3)}]
        if rng.randrange(2) == 0:
            items.append({"product": f"p{(first + 1 + rng.randrange(59)) % 60}", "quantity": 1})
        event = {"at": at(3 + int(n * step)), "type": "sale", "by": "owner", "buyer": f"u{rng.randrange(200)}", "items": items}
        out.write(("," if n else "") + json.dumps(event))
    out.write("]}")
PY
import_started=$(date +%s.%N)
"$static" import --data-dir "$work/store" "$work/shop.json" >&2
import_seconds=$(echo "$(date +%s.%N) - $import_started" | bc)
rm "$work/shop.json"
store_mb=$(( $(stat -c %s "$work/store/data.mdb") / 1048576 ))

python3 - "$runs" "$work/store" "$static" "$dynamic" <<'PY'
import http.client, os, signal, socket, statistics, subprocess, sys, time
runs, store, binaries = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port
def time_to_health(binary):
    port = free_port()
    spawned = time.monotonic()
    process = subprocess.Popen([binary, "serve", "--data-dir", store, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return time.monotonic() - spawned
            except OSError:
                pass
            if process.poll() is not None:
                sys.exit(f"{binary} exited with {process.returncode} before answering /health")
            if time.monotonic() - spawned > 60:
                sys.exit(f"{binary} did not answer /health within 60 s")
            time.sleep(0.001)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait()
times = {binary: [] for binary in binaries}
for run in range(runs):
    for binary in binaries:
        times[binary].append(time_to_health(binary))
print("| binary | size (MB) | median (ms) | min (ms) | max (ms) |")
print("|:--|--:|--:|--:|--:|")
for binary in binaries:
    t = sorted(times[binary])
    print(f"| `{binary}` | {os.path.getsize(binary) / 1048576:.1f} | {statistics.median(t) * 1000:.0f} | {t[0] * 1000:.0f} | {t[-1] * 1000:.0f} |")
PY
echo
echo "- store: $sales sales through \`tenda import\` (the buy command, no-sync, synced at the end) in $(printf %.0f "$import_seconds") s, data.mdb $store_mb MB, in the page cache (a warm start); $runs starts per binary, in turn"
for binary in "$static" "$dynamic"; do
  echo "- \`ldd $binary\`: $(ldd "$binary" | awk '{print $1}' | tr '\n' ' ')"
done
echo "- command: \`bash benchmarks/startup.sh $*\`; $(date -u +%Y-%m-%dT%H:%M:%SZ), took $(( $(date +%s) - started )) s"
echo "- machine: nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(free -g | awk '/Mem:/ {print $2}') GB RAM; kernel $(uname -r); $(swift --version 2>&1 | head -n 1)"
echo "- load average before / after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
