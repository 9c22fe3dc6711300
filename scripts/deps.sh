#!/usr/bin/env bash
# Installs what Quiver needs to build and test: the Debian packages of DESIGN.md §6
# (only those missing) and the project-local Python virtual environment (.venv) with
# the pinned reference implementations of requirements.txt. Does nothing when all
# are present.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(libgrpc-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libpg-query-dev
      libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev libbrotli-dev libxxhash-dev
      cmake ninja-build pkg-config clang libclang-rt-14-dev openssl python3-venv gcc make)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The venv is rebuilt only when requirements.txt changed since it was made.
stamp=.venv/.requirements
if [ ! -f "$stamp" ] || ! cmp -s requirements.txt "$stamp"; then
  echo "deps: preparing .venv (pinned Python reference implementations)"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$stamp"
fi
