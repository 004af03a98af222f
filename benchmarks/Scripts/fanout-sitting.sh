#!/bin/bash
# One fan-out sitting (issue 18): each given `tenda` binary at 10,000 subscribers × 5 purchases/s,
# then plain C writing the same bytes to 10,000 loopback sockets (raw-fanout.c), in turn, ROUNDS
# times, so the ratio Tenda p99 ÷ floor p99 comes from the same minutes; then each binary once
# at 10,000 × 20/s. Prints only the figures' lines; the machine's load before and after.
# Each Tenda run is made with each reader of READERS (default "c nio"): `c` reads the subscribers with
# Scripts/ws-reader.c, a C epoll loop like the floor's own reader (ws-bench --c-reader); `nio` with
# ws-bench's SwiftNIO channels. The 20/s runs use the first reader. Each round also runs SwiftNIO's
# own floor (ws-bench --nio-fanout: raw-fanout's messages written through NIO's event loops, read by
# raw-fanout --connect), so Tenda ÷ NIO and NIO ÷ C come from the same minutes.
#
#   benchmarks/Scripts/fanout-sitting.sh /tmp/tenda-before /tmp/tenda-after
#   ROUNDS=1 SUBSCRIBERS=2000 READERS=c benchmarks/Scripts/fanout-sitting.sh benchmarks/.build/release/tenda
#
# Build first: swift build -c release --package-path benchmarks --product tenda --product ws-bench
# (copy each tenda aside to compare two). Run from the repository root.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 TENDA_BINARY…" >&2; exit 2; }
rounds=${ROUNDS:-3}
subscribers=${SUBSCRIBERS:-10000}
read -r -a readers <<< "${READERS:-c nio}"
wsbench=benchmarks/.build/release/ws-bench
[ -x "$wsbench" ] || { echo "$0: no $wsbench (build it first)" >&2; exit 1; }
cc -O2 -Wall -Wextra -pthread -o /tmp/raw-fanout benchmarks/Scripts/raw-fanout.c

tenda_run() {  # binary rate reader
    local flag=""
    [ "$3" = c ] && flag=--c-reader
    "$wsbench" --no-rest $flag --subscribers "$subscribers" --rates "$2" --seconds 15 --tenda "$1" 2>&1 \
        | sed -n '/| subscribers | purchases/,/^$/p' | sed -n '3p'
}

echo "date: $(date -u +%FT%TZ)  git: $(git rev-parse --short HEAD)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    for binary in "$@"; do
        for reader in "${readers[@]}"; do
            echo "round $round  $binary  reader $reader  5/s: $(tenda_run "$binary" 5 "$reader")"
        done
    done
    echo "round $round  nio-fanout  5/s: $("$wsbench" --nio-fanout --subscribers "$subscribers" --rates 5 --seconds 15 2>&1 \
        | grep -E 'received|latency|CPU per' | tr '\n' ' ')"
    echo "round $round  raw-fanout  5/s: $(/tmp/raw-fanout --connections "$subscribers" --rate 5 --size 900 \
        --writer-threads 2 --reader-threads 2 2>&1 | grep -E 'received|latency|CPU per' | tr '\n' ' ')"
done
for binary in "$@"; do
    echo "once  $binary  reader ${readers[0]}  20/s: $(tenda_run "$binary" 20 "${readers[0]}")"
done
echo "date: $(date -u +%FT%TZ)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
