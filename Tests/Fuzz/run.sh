#!/usr/bin/env bash
# Builds Tenda's libFuzzer targets and runs each for a bounded time.
#
#   Tests/Fuzz/run.sh                          # every target, 60 s each, one after another
#   FUZZ_SECONDS=25 Tests/Fuzz/run.sh          # a CI budget
#   FUZZ_JOBS=2 Tests/Fuzz/run.sh records botline   # chosen targets, two at a time
#
# Each target starts from its committed seeds (Tests/Fuzz/Corpus/<target>/, read only), with
# the words of its input language (Tests/Fuzz/Dictionaries/<target>.dict) when it has them, and
# writes what it adds to a temporary folder that is deleted afterwards. A crash's input is
# kept in FUZZ_ARTIFACTS (default Tests/Fuzz/.build-fuzz/crashes/, ignored by git) and the
# script exits 1; re-run one with `<binary> <file>` (the binary folder is printed).
#
# One line per target: executions, executions per second, coverage (edges, features) and
# the outcome.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
all_targets=(initdata websocket commands multipart botline records)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
scratch="$here/.build-fuzz"
artifacts=${FUZZ_ARTIFACTS:-$scratch/crashes}
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH

# SwiftPM's `--sanitize=fuzzer --sanitize=address` links the targets with libFuzzer's `main`,
# but hands swiftc the two as separate flags, of which the Swift driver keeps only the last (in
# an order that changes between runs): half the time the Swift code would get no coverage, the
# other half no address sanitizer. The one combined flag after them gives it both.
build=(swift build --package-path "$here" --scratch-path "$scratch"
       --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address
       -Xswiftc -DTENDA_FUZZ_BUILD)  # embed-web-app, the MiniApp's build tool, then lets libFuzzer own `main`
started=$SECONDS
for target in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $target "* ]] || { echo "unknown target $target (known: ${all_targets[*]})" >&2; exit 2; }
done
echo "building the fuzz targets (debug, fuzzer + address sanitizers)…"
mkdir -p "$scratch"
"${build[@]}" >"$scratch/build.log" 2>&1 || { cat "$scratch/build.log"; echo "the fuzz build failed" >&2; exit 2; }
bin=$("${build[@]}" --show-bin-path)
echo "built in $((SECONDS - started)) s; binaries in $bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/tenda-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"

fuzz() {
    local target=$1 dir="$work/$1" status=0 dictionary=()
    mkdir -p "$dir/corpus" "$dir/tmp"
    [[ -f "$here/Dictionaries/$target.dict" ]] && dictionary=(-dict="$here/Dictionaries/$target.dict")
    # TMPDIR: the stores the targets open go there and are deleted with it.
    # detect_leaks=0: the Swift runtime's caches live for the whole process and look like leaks.
    # SWIFT_BACKTRACE=enable=no: libFuzzer reports the trap (with its stack) and saves the input.
    # malloc_context_size=5: shallower allocation stacks in ASan's reports, several times the executions.
    TMPDIR="$dir/tmp" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:malloc_context_size=5:allocator_may_return_null=1 \
        "$bin/$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1 "${dictionary[@]}" \
        -artifact_prefix="$artifacts/$target-" "$dir/corpus" "$here/Corpus/$target" >"$dir.log" 2>&1 || status=$?
    echo "$status" >"$dir.status"
}

for target in "${targets[@]}"; do
    while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
    fuzz "$target" &
done
wait

failed=0
printf '%-10s %12s %9s %6s %7s  %s\n' target runs exec/s cov ft outcome
for target in "${targets[@]}"; do
    log="$work/$target.log"
    status=$(cat "$work/$target.status" 2>/dev/null || echo 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
    cov=$(awk '{print $2}' <<<"$coverage")
    ft=$(awk '{print $4}' <<<"$coverage")
    if [[ $status == 0 ]]; then
        outcome="no crash in ${seconds} s"
    else
        outcome="CRASH (exit $status): $(grep -o "Test unit written to .*" "$log" | tail -1 || true)"
        failed=1
    fi
    printf '%-10s %12s %9s %6s %7s  %s\n' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$outcome"
done
if (( failed )); then
    for target in "${targets[@]}"; do
        [[ $(cat "$work/$target.status" 2>/dev/null || echo 1) == 0 ]] && continue
        echo "----- $target: the end of its log"
        tail -40 "$work/$target.log"
    done
    exit 1
fi
