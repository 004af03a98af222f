#!/usr/bin/env bash
# Instruction counts that compare across machines: builds instr-bench (release), runs it under
# callgrind (every thread counted: the store's writer, NIO's event loops, Swift's task
# threads), and prints instructions per purchase, per delivery and per GET beside the values
# recorded in callgrind-baseline.txt.
#
#   benchmarks/Scripts/callgrind.sh            # build, run, compare (about 30 s once built)
#   benchmarks/Scripts/callgrind.sh --record   # the same, then write the figures as the new baseline
#   benchmarks/Scripts/callgrind.sh --keep     # keep the dump files (their folder is printed)
#   benchmarks/Scripts/callgrind.sh --no-build # run the binary already built
#
# Needs valgrind (Debian's valgrind: valgrind, callgrind_annotate, valgrind/callgrind.h) and objcopy.
set -euo pipefail

scripts=$(cd "$(dirname "$0")" && pwd)
benchmarks=$(dirname "$scripts")
baseline="$scripts/callgrind-baseline.txt"
record=no
keep=no
build=yes
top=8
for argument in "$@"; do
    case "$argument" in
        --record) record=yes ;;
        --keep) keep=yes ;;
        --no-build) build=no ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "callgrind.sh: unknown option $argument (see --help)" >&2; exit 2 ;;
    esac
done

if [ "$build" = yes ]; then
    echo "building instr-bench (release)" >&2
    swift build -c release --package-path "$benchmarks" --product instr-bench >&2
fi
binary="$benchmarks/.build/release/instr-bench"
[ -x "$binary" ] || { echo "callgrind.sh: no $binary (run without --no-build)" >&2; exit 1; }

dumps=$(mktemp -d "${TMPDIR:-/tmp}/tenda-callgrind.XXXXXX")
[ "$keep" = yes ] || trap 'rm -rf "$dumps"' EXIT

# Valgrind 3.19 cannot read the DWARF 5 that Swift 6.3 writes ("Possibly corrupted debuginfo
# file"): it runs a copy without debug information. Function names come from the symbol table.
objcopy --strip-debug "$binary" "$dumps/instr-bench"

# --instr-atstart=no: setup and warm-up run uninstrumented (much faster) and count nothing; each
# phase turns instrumentation on, zeroes and dumps by client request (Sources/instr-bench/Callgrind.swift).
# Two sources of run-to-run difference taken away: SWIFT_DETERMINISTIC_HASHING (Swift seeds its
# hashing per process, so dictionaries and sets iterate in another order each run: the route
# table's matching moved the GETs by 2 %), and setarch -R (no address randomisation: the
# runtime's metadata caches hash addresses).
command=(setarch "$(uname -m)" --addr-no-randomize env SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dumps/callgrind.out.%p" "$dumps/instr-bench")
started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
echo "running: ${command[*]}" >&2
seconds_before=$SECONDS
"${command[@]}" > "$dumps/stdout" 2> "$dumps/stderr" || {
    echo "callgrind.sh: instr-bench failed; its last words:" >&2
    tail -20 "$dumps/stderr" >&2
    exit 1
}
elapsed=$((SECONDS - seconds_before))

# The dump a phase wrote: the one whose trigger names it.
dump_of() {
    grep -l "^desc: Trigger: Client Request: $1\$" "$dumps"/callgrind.out.* | head -1
}
# Instructions in a dump: its `totals:` line, the sum of the costs it lists. Not `summary:`,
# which callgrind works out from its running total and gets wrong once the counts were zeroed
# (it came out negative for the deliveries phase).
instructions_in() {
    awk '/^totals:/ { print $2; exit }' "$1"
}
# 1234567 → 1,234,567
grouped() {
    echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'
}
recorded() {
    [ -f "$baseline" ] && awk -v phase="$1" '$1 == phase { print $2; exit }' "$baseline"
}

echo "## Instruction counts — $started"
echo
echo "Command: \`benchmarks/Scripts/callgrind.sh${*:+ $*}\`, that is \`setarch -R env SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --instr-atstart=no instr-bench\` (the release build, stripped of debug information) ($elapsed s under valgrind)"
echo "Machine: $(grep '^machine:' "$dumps/stdout" | sed 's/^machine: //'), $(swift --version 2>/dev/null | grep -o 'Swift version [^ ]* ([^)]*)' | head -1), $(valgrind --version)"
echo "Git: $(git -C "$benchmarks" rev-parse --short HEAD)$(git -C "$benchmarks" diff --quiet HEAD -- "$benchmarks/.." 2>/dev/null || echo ' (with uncommitted changes)')"
if [ -f "$baseline" ]; then
    echo "Recorded: $(grep '^# recorded' "$baseline" | sed 's/^# recorded //')"
fi
echo
echo "| phase | operations | instructions per op | recorded | change |"
echo "|---|---:|---:|---:|---:|"
new_baseline=""
while read -r _ phase operations _; do
    dump=$(dump_of "$phase")
    [ -n "$dump" ] || { echo "callgrind.sh: no dump for phase $phase" >&2; exit 1; }
    total=$(instructions_in "$dump")
    per_op=$((total / operations))
    before=$(recorded "$phase" || true)
    if [ -n "$before" ]; then
        change=$(awk -v now="$per_op" -v before="$before" 'BEGIN { printf "%+.2f %%", (now - before) * 100 / before }')
        before_text=$(grouped "$before")
    else
        change="–"
        before_text="none"
    fi
    echo "| $phase | $operations | $(grouped "$per_op") | $before_text | $change |"
    new_baseline+="$phase $per_op"$'\n'
done < <(grep '^phase ' "$dumps/stdout")
echo
echo "Wall clock of the same run (under valgrind, so ~50× slower; not comparable):"
grep '^phase ' "$dumps/stdout" | sed 's/^phase /- /'
echo
# The percentages are left out: callgrind_annotate takes them from the `summary:` line.
echo "Top functions by own instructions (\`callgrind_annotate --inclusive=no\`), per phase:"
while read -r _ phase _; do
    echo
    echo "$phase:"
    echo '```'
    # The rows after the header line that ends in "file:function".
    callgrind_annotate --inclusive=no "$(dump_of "$phase")" 2>/dev/null \
        | awk -v top="$top" '/file:function/ { rows = 1; next } rows && NF && !/^-/ && shown < top { print; shown++ }' \
        | sed -E 's/ \( *-?[0-9.]+%\)//; s/ \[[^]]*\]$//' \
        | { command -v swift-demangle > /dev/null && swift-demangle --simplified || cat; }
    echo '```'
done < <(grep '^phase ' "$dumps/stdout")

if [ "$record" = yes ]; then
    {
        echo "# Instructions per operation recorded by benchmarks/Scripts/callgrind.sh --record"
        echo "# recorded $started, git $(git -C "$benchmarks" rev-parse --short HEAD)"
        printf "%s" "$new_baseline"
    } > "$baseline"
    echo
    echo "Recorded as the new baseline in benchmarks/Scripts/callgrind-baseline.txt."
fi
[ "$keep" = no ] || echo "Dumps kept in $dumps" >&2
