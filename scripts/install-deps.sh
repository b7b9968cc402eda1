#!/usr/bin/env bash
# Installs from Debian, when missing: QEMU (the tests' real peer), tmux (the
# REPL tests drive a real terminal), socat (the benchmark's baseline), the
# guest agent (--agent tests), OpenSSH (ssh:// targets, tested against a
# local sshd), zsh and fish (completion is tested in each real shell), less
# (the REPL's pager is tested with it), a Linux kernel and busybox (the
# tests' real guest, test/helpers/guest.ts), and
# QEMU 10.0 beside 7.2 (scripts/install-qemu10.sh).
set -euo pipefail
need=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v qemu-ga >/dev/null 2>&1 || [ -x /usr/sbin/qemu-ga ] || need+=(qemu-guest-agent)
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
command -v less >/dev/null 2>&1 || need+=(less)
# The test guest: Debian's cloud kernel (pvpanic as a module) and a static busybox.
ls /boot/vmlinuz-*-cloud-amd64 >/dev/null 2>&1 || need+=(linux-image-cloud-amd64)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
if ((${#need[@]})); then
  echo "installing ${need[*]} (Debian packages)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to apt-get install ${need[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The tests' second QEMU version (10.0, beside Debian's 7.2).
bash "$(dirname "$0")/install-qemu10.sh" >/dev/null
