#!/usr/bin/env bash
# Runs one fuzz target (or all, one after another) for SECONDS each.
#   fuzz/run.sh TARGET SECONDS     e.g. fuzz/run.sh case_loader 60
#   fuzz/run.sh all SECONDS
# Builds with nightly (`cargo +nightly fuzz build -O -a`: optimised, debug assertions on;
# installs cargo-fuzz if missing; refuses a fuzz/Cargo.lock that no longer matches), copies the
# committed seeds into a working corpus fuzz/corpus/TARGET (gitignored, kept between runs),
# runs libFuzzer with the target's dictionary, and prints the exec count and exec/s. Crash,
# timeout and out-of-memory reproducers land in fuzz/artifacts/TARGET/ (gitignored); if one
# appears, the script names it and exits 1. FUZZ_JOBS is not used: one fuzzer at a time.
set -euo pipefail
cd "$(dirname "$0")"

TARGETS=(case_loader yaml_direct config_yaml template_render matchers_jsonpath adapter_answer emulator_router)

usage() {
    echo "usage: fuzz/run.sh TARGET|all SECONDS   (targets: ${TARGETS[*]})" >&2
    exit 2
}
[ $# -eq 2 ] || usage
target=$1
seconds=$2
[[ $seconds =~ ^[0-9]+$ ]] || usage

dict_for() {
    case $1 in
        emulator_router | adapter_answer) echo http.dict ;;
        *) echo poscert.dict ;;
    esac
}

prepare() {
    if ! command -v cargo-fuzz >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
        cargo install cargo-fuzz --locked
    fi
    # cargo fuzz has no --locked: check the committed lock file first, so a build never
    # rewrites it quietly (as the root workspace's `--locked` builds would refuse to).
    if ! cargo +nightly metadata --locked --format-version 1 >/dev/null; then
        echo "fuzz/Cargo.lock no longer matches fuzz/Cargo.toml and its path dependencies:" \
            "run \`cargo +nightly update --workspace\` in fuzz/ and commit the lock file" >&2
        exit 2
    fi
}

run_one() {
    local t=$1
    local found=0
    for known in "${TARGETS[@]}"; do [ "$known" = "$t" ] && found=1; done
    [ $found -eq 1 ] || usage
    cargo +nightly fuzz build -O -a "$t"
    mkdir -p "corpus/$t" "artifacts/$t"
    cp -n "seeds/$t/"* "corpus/$t/" 2>/dev/null || true
    local before
    before=$(find "artifacts/$t" -type f | sort)
    local log
    log=$(mktemp)
    # -timeout: one input taking over 10 s is a bug (a hang). -rss_limit_mb: memory blow-ups
    # are bugs too. -max_len: 64 KiB, above any real case file; without it libFuzzer grows inputs
    # to the largest seed (a 250 KB case of 2,000 steps), which takes a second under the
    # sanitizer and over the timeout on a busy machine (the size limits themselves are tested
    # in engine/tests/load_error_text.rs). libFuzzer's own exit status is read from the artifacts instead, so a
    # crash is reported by name whatever libFuzzer's code.
    set +e
    cargo +nightly fuzz run -O -a "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-65536}" \
        -dict="$(dict_for "$t")" -artifact_prefix="artifacts/$t/" \
        -print_final_stats=1 2>&1 | tee "$log" | grep -E '^(#[0-9]+.*(DONE|pulse|NEW)|==[0-9]+==|SUMMARY|stat::)' | tail -n 30
    set -e
    local execs rate
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    echo "== $t: ${execs:-?} execs, ${rate:-?} exec/s in ${seconds}s"
    local new
    new=$(comm -13 <(echo "$before") <(find "artifacts/$t" -type f | sort) | sed '/^$/d')
    if [ -n "$new" ]; then
        # The panic and its stack, and the reproducer itself in base64: a CI log alone is then
        # enough to reproduce (`base64 -d > repro`), whether or not the job keeps its artifacts.
        echo "== $t: libFuzzer's last words:" >&2
        grep -v -E '^#[0-9]+' "$log" | tail -n 60 >&2
        echo "== $t: new reproducer(s) (crash-*, timeout-*, oom-*, slow-unit-*):" >&2
        local f
        for f in $new; do
            echo "$f ($(wc -c <"$f") bytes), base64:" >&2
            head -c 65536 "$f" | base64 -w 100 >&2
        done
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

main() {
    prepare
    if [ "$target" = all ]; then
        local status=0 t
        for t in "${TARGETS[@]}"; do run_one "$t" || status=1; done
        return $status
    fi
    run_one "$target"
}

# One line, read whole before it runs: editing this file during a long run cannot change
# what the running script does next.
main; exit $?
