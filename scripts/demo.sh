#!/usr/bin/env bash
# The quick start: installs QEMU if missing, then runs qmpsh against a
# throwaway QEMU that qmpsh itself launches (--launch) and stops again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
QEMU=(qemu-system-x86_64 -M none -nodefaults -display none)
run() {
  printf '\n$ qmpsh %s\n' "$*"
  node bin/qmpsh.cjs "$@" || printf '(exit %s)\n' "$?"
}
run --launch query-version --pretty -- "${QEMU[@]}"
printf '\n$ printf "stop\\nquery-status\\n!info status\\ncont\\n" | qmpsh --launch -- %s\n' "${QEMU[*]}"
printf 'stop\nquery-status\n!info status\ncont\n' | node bin/qmpsh.cjs --launch -- "${QEMU[@]}"
run --launch --describe query-status -- "${QEMU[@]}"
run --launch no-such-command -- "${QEMU[@]}"
