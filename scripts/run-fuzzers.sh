#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD_DIR for FUZZ_SECONDS each, seeded
# from fuzz/<target>/ (checked-in regression inputs) and the seed sources the
# target names in fuzz/<target>.seeds (one glob per line, relative to the repo).
# Fails on any crash, leak, or allocation above the target's cap.
set -euo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR}
seconds=${FUZZ_SECONDS:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for src in "$root"/fuzz/*.c; do
  name=$(basename "$src" .c)
  bin="$build/$name"
  [ -x "$bin" ] || { echo "fuzz: $name not built" >&2; status=1; continue; }
  corpus="$build/corpus-$name"
  mkdir -p "$corpus"
  seeds=()
  [ -d "$root/fuzz/$name" ] && seeds+=("$root/fuzz/$name")
  if [ -f "$root/fuzz/$name.seeds" ]; then
    while read -r pattern; do
      [ -z "$pattern" ] && continue
      for f in $root/$pattern; do [ -f "$f" ] && cp "$f" "$corpus/"; done
    done < "$root/fuzz/$name.seeds"
  fi
  echo "fuzz: $name for ${seconds}s"
  # -rss_limit_mb and -malloc_limit_mb make an allocation above the cap a failure.
  if ! "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -print_final_stats=0 "$corpus" "${seeds[@]}" > "$build/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; log tail:" >&2
    tail -40 "$build/$name.log" >&2
    status=1
  else
    grep -E "^#[0-9]+.*DONE" "$build/$name.log" | tail -1 || true
  fi
done
exit $status
