#!/bin/bash
# One fan-out sitting (issue 18): each given `tenda` binary at 10,000 subscribers × 5 purchases/s,
# then plain C writing the same bytes to 10,000 loopback sockets (raw-fanout.c), in turn, ROUNDS
# times, so the ratio Tenda p99 ÷ floor p99 comes from the same minutes; then each binary once
# at 10,000 × 20/s. Prints only the figures' lines; the machine's load before and after.
#
#   benchmarks/Scripts/fanout-sitting.sh /tmp/tenda-before /tmp/tenda-after
#   ROUNDS=1 SUBSCRIBERS=2000 benchmarks/Scripts/fanout-sitting.sh benchmarks/.build/release/tenda
#
# Build first: swift build -c release --package-path benchmarks --product tenda --product ws-bench
# (copy each tenda aside to compare two). Run from the repository root.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 TENDA_BINARY…" >&2; exit 2; }
rounds=${ROUNDS:-3}
subscribers=${SUBSCRIBERS:-10000}
wsbench=benchmarks/.build/release/ws-bench
[ -x "$wsbench" ] || { echo "$0: no $wsbench (build it first)" >&2; exit 1; }
cc -O2 -Wall -Wextra -pthread -o /tmp/raw-fanout benchmarks/Scripts/raw-fanout.c

tenda_run() {  # binary rate
    "$wsbench" --no-rest --subscribers "$subscribers" --rates "$2" --seconds 15 --tenda "$1" 2>&1 \
        | sed -n '/| subscribers | purchases/,/^$/p' | sed -n '3p'
}

echo "date: $(date -u +%FT%TZ)  git: $(git rev-parse --short HEAD)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    for binary in "$@"; do
        echo "round $round  $binary  5/s: $(tenda_run "$binary" 5)"
    done
    echo "round $round  raw-fanout  5/s: $(/tmp/raw-fanout --connections "$subscribers" --rate 5 --size 900 \
        --writer-threads 2 --reader-threads 2 2>&1 | grep -E 'latency|CPU per' | tr '\n' ' ')"
done
for binary in "$@"; do
    echo "once  $binary  20/s: $(tenda_run "$binary" 20)"
done
echo "date: $(date -u +%FT%TZ)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
