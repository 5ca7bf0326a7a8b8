#!/bin/bash
# Runs every libFuzzer target of a MODPROXY_FUZZERS build for a while each
# (README "Fuzzing"): make fuzz-smoke (5 s each) and make fuzz (FUZZ_TIME).
#
#   scripts/run-fuzzers.sh BUILD_DIR SECONDS [WORK_DIR]
#
# Each target starts from its seeds in fuzz/corpus/<name>/ and replays
# fuzz/regressions/<name>/; both are read only. New inputs go to
# WORK_DIR/<name>/ (kept, so `make fuzz` resumes where it stopped) or, without
# WORK_DIR, to a temporary directory that is removed. Two targets run at a
# time. A crash leaves its input in BUILD_DIR/fuzz-artifacts/ and fails the run.
set -u

build_dir=$1
seconds=$2
work_dir=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
artifacts="$build_dir/fuzz-artifacts"
mkdir -p "$artifacts"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

targets=""
for source in "$root"/fuzz/*_fuzz.cc; do
  name=$(basename "$source" _fuzz.cc)
  targets="$targets $name"
done

run_one() {
  local name=$1
  local bin="$build_dir/fuzz/${name}_fuzz"
  local out=${work_dir:+$work_dir/$name}
  out=${out:-$tmp/corpus/$name}
  mkdir -p "$out"
  local dirs=("$out" "$root/fuzz/corpus/$name")
  [ -d "$root/fuzz/regressions/$name" ] && dirs+=("$root/fuzz/regressions/$name")
  if [ ! -x "$bin" ]; then
    echo "fuzz $name: FAILED (no binary $bin)" >"$tmp/$name.result"
    return
  fi
  if "$bin" -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" "${dirs[@]}" >"$tmp/$name.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$name.log")
    echo "fuzz $name: ok (${runs:-?} runs in ${seconds}s)" >"$tmp/$name.result"
  else
    {
      echo "fuzz $name: FAILED; the end of its log:"
      tail -n 40 "$tmp/$name.log"
      echo "(crashing inputs: $artifacts/$name-*)"
    } >"$tmp/$name.result"
  fi
}

running=0
for name in $targets; do
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge 2 ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

passed=0
failed=0
for name in $targets; do
  cat "$tmp/$name.result"
  if grep -q '^fuzz [a-z_]*: ok' "$tmp/$name.result"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
