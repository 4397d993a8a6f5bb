#!/usr/bin/env bash
# Long fuzzing runs: each libFuzzer target for SECONDS (default 60), niced, starting from a copy of its seed
# corpus, then a summary line per target (executions, seconds, coverage). Exits non-zero when a target
# crashes, leaks or hangs; the input that did it is kept under the work directory, to be added to
# tests/fuzz/corpus/<target>/ as a regression case.
#   CXX=clang++ cmake -S . -B build-fuzz -DLATENT_BUILD_FUZZERS=ON && cmake --build build-fuzz -j2
#   tests/fuzz/run.sh build-fuzz [SECONDS] [TARGET...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: run.sh BUILD_DIR [SECONDS] [TARGET...]}"
seconds="${2:-60}"
shift $(( $# >= 2 ? 2 : 1 ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx_raw idx_gzip model_file checkpoint npy npz png)
work="${FUZZ_WORK:-$(mktemp -d /tmp/latent-fuzz.XXXXXX)}"
echo "work directory: $work"

status=0
summary=()
for target in "${targets[@]}"; do
  binary="$build/tests/fuzz/latent_fuzz_$target"
  [ -x "$binary" ] || { echo "no $binary: configure with CXX=clang++ -DLATENT_BUILD_FUZZERS=ON"; exit 2; }
  mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
  cp -n "$here/corpus/$target/"* "$work/$target/corpus/"
  log="$work/$target/fuzz.log"
  echo "=== $target: $seconds s ==="
  if nice "$binary" -max_total_time="$seconds" -seed=1 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$work/$target/artifacts/" "$work/$target/corpus" > "$log" 2>&1; then
    result=ok
  else
    result="FAILED (see $log and $work/$target/artifacts/)"
    status=1
  fi
  tail -n 12 "$log"
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)"
  runs="$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)"
  time="$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -n 1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<< "$done_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<< "$done_line")"
  corp="$(sed -n 's/.* corp: \([^ ]*\) .*/\1/p' <<< "$done_line")"
  summary+=("$target: ${runs:-?} executions in ${time:-?} s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}: $result")
done

echo "=== summary ==="
printf '%s\n' "${summary[@]}"
exit $status
