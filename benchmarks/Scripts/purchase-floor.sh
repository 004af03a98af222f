#!/usr/bin/env bash
# The floor for durable purchases: LMDB and this disk making exactly the writes Tenda's purchases
# make, and nothing else. Runs shop-bench's purchase runs (full fsync, then no fsync), records
# every committed LMDB write of a second, traced run (lmdb-trace.c, an LD_PRELOAD shim: databases,
# keys, value sizes, commit boundaries), replays them from one thread into a fresh environment
# (lmdb-replay.c), and prints Tenda's rate beside the replay's, with the bytes LMDB wrote and the
# bytes the disk wrote per purchase. Run from the repository root, after
#   swift build -c release --package-path benchmarks --product shop-bench
# e.g.  benchmarks/Scripts/purchase-floor.sh --buys 40000      (options go to shop-bench)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bench="${SHOP_BENCH:-$here/../.build/release/shop-bench}"
[ -x "$bench" ] || { echo "build shop-bench first: swift build -c release --package-path benchmarks --product shop-bench" >&2; exit 1; }
work="$(mktemp -d /tmp/purchase-floor.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cc -O2 -Wall -Wextra -shared -fPIC -o "$work/lmdb-trace.so" "$here/lmdb-trace.c" -ldl -lpthread
cc -O2 -Wall -Wextra -o "$work/lmdb-replay" "$here/lmdb-replay.c" -llmdb

# shop-bench's table row "| name | full fsync | no fsync |" → "full nofsync", commas dropped.
row() { grep -F "| $1" "$2" | head -1 | awk -F'|' '{gsub(/[ ,]/, "", $3); gsub(/[ ,]/, "", $4); print $3, $4}'; }
# lmdb-replay's "name: value" line → value.
field() { grep -F "$1:" "$2" | head -1 | sed 's/.*: *//; s/ .*//'; }

echo "# Durable purchases beside their floor ($(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
"$bench" --purchases-only "$@" > "$work/plain.md" 2>"$work/plain.err"
LMDB_TRACE="$work/trace" LD_PRELOAD="$work/lmdb-trace.so" "$bench" --purchases-only "$@" > "$work/traced.md" 2>"$work/traced.err"
# The trace's environment 0 is the full-fsync run, 1 the no-fsync run (shop-bench runs them in that order).
mkdir "$work/sync" "$work/nosync"
"$work/lmdb-replay" --trace "$work/trace" --env 0 --dir "$work/sync" > "$work/floor-sync.txt"
"$work/lmdb-replay" --trace "$work/trace" --env 1 --dir "$work/nosync" --no-sync > "$work/floor-nosync.txt"

read -r tenda_sync tenda_nosync < <(row "purchases per second" "$work/plain.md")
read -r traced_sync traced_nosync < <(row "purchases per second" "$work/traced.md")
read -r kib_sync kib_nosync < <(row "written by LMDB per purchase" "$work/plain.md")
read -r dev_sync dev_nosync < <(row "written by the disk per purchase" "$work/plain.md")
read -r cpu_sync cpu_nosync < <(row "writer thread CPU per purchase" "$work/plain.md")
read -r batch_sync batch_nosync < <(row "purchases per commit" "$work/traced.md")
floor_sync=$(field "purchases per second" "$work/floor-sync.txt")
floor_nosync=$(field "purchases per second" "$work/floor-nosync.txt")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cat <<TABLE

| measure                                   | Tenda, full fsync | floor, full fsync | Tenda, no fsync | floor, no fsync |
|:------------------------------------------|------------------:|------------------:|----------------:|----------------:|
| purchases per second                      | $tenda_sync | $floor_sync | $tenda_nosync | $floor_nosync |
| the traced run's rate (the trace recorded) | $traced_sync | | $traced_nosync | |
| purchases per commit (traced run, replay) | $batch_sync | $(grep -o '[0-9.]* per commit' "$work/floor-sync.txt" | cut -d' ' -f1) | $batch_nosync | $(grep -o '[0-9.]* per commit' "$work/floor-nosync.txt" | cut -d' ' -f1) |
| writer CPU per purchase (µs)              | $cpu_sync | $(field "writer CPU per purchase" "$work/floor-sync.txt") | $cpu_nosync | $(field "writer CPU per purchase" "$work/floor-nosync.txt") |
| written by LMDB per purchase (KiB)        | $kib_sync | $(field "written by LMDB per purchase" "$work/floor-sync.txt") | $kib_nosync | $(field "written by LMDB per purchase" "$work/floor-nosync.txt") |
| written by the disk per purchase (KiB)    | $dev_sync | $(field "written by the disk per purchase" "$work/floor-sync.txt") | $dev_nosync | $(field "written by the disk per purchase" "$work/floor-nosync.txt") |

Tenda's rate ÷ the floor's: $(ratio "$tenda_sync" "$floor_sync") with full fsync, $(ratio "$tenda_nosync" "$floor_nosync") with no fsync.
The floor replays the traced run's committed writes: $(head -1 "$work/floor-sync.txt" | sed 's/^replayed //').
TABLE
echo
echo "command: benchmarks/Scripts/purchase-floor.sh $* (from the repository root); shop-bench: $bench"
echo "machine: nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); $(uname -sr); store on $(df -T /tmp | awk 'NR==2 {print $2}') at /tmp"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
