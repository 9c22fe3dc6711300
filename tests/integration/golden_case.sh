#!/usr/bin/env bash
# One check of one Arrow integration golden case against quiver-arrow-integration.
# Usage: golden_case.sh TOOL CASE_BASE CHECK
#   file   - CASE.arrow_file VALIDATEs against CASE.json.gz
#   stream - CASE.stream converted with STREAM_TO_FILE VALIDATEs
#   json   - JSON_TO_ARROW output VALIDATEs, and survives FILE_TO_STREAM + STREAM_TO_FILE
set -euo pipefail
tool=$1 base=$2 check=$3
json="$base.json.gz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case "$check" in
  file)
    "$tool" --mode VALIDATE --json "$json" --arrow "$base.arrow_file" ;;
  stream)
    "$tool" --mode STREAM_TO_FILE < "$base.stream" > "$tmp/from_stream.arrow_file"
    "$tool" --mode VALIDATE --json "$json" --arrow "$tmp/from_stream.arrow_file" ;;
  json)
    "$tool" --mode JSON_TO_ARROW --json "$json" --arrow "$tmp/written.arrow_file"
    "$tool" --mode VALIDATE --json "$json" --arrow "$tmp/written.arrow_file"
    "$tool" --mode FILE_TO_STREAM < "$tmp/written.arrow_file" > "$tmp/written.stream"
    "$tool" --mode STREAM_TO_FILE < "$tmp/written.stream" > "$tmp/again.arrow_file"
    "$tool" --mode VALIDATE --json "$json" --arrow "$tmp/again.arrow_file" ;;
  *) echo "unknown check $check" >&2; exit 2 ;;
esac
