#!/usr/bin/env bash
# Starts a throwaway QEMU (no guest: -M none) on a socket in a temp dir, runs
# a few qmpsh commands against it, and removes it all again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dir=$(mktemp -d /tmp/qmpsh-demo.XXXXXX)
sock="$dir/qmp.sock"
qemu-system-x86_64 -M none -nodefaults -display none \
  -qmp "unix:$sock,server=on,wait=off" -daemonize -pidfile "$dir/qemu.pid"
trap 'kill "$(cat "$dir/qemu.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$dir"' EXIT

run() {
  printf '\n$ qmpsh %s\n' "$*"
  node bin/qmpsh.cjs "$@" || printf '(exit %s)\n' "$?"
}
run "$sock" query-version --pretty
run "$sock" query-status
run "$sock" stop
run "$sock" --hmp 'info status'
run "$sock" cont
run "$sock" no-such-command
run "$sock" quit
