#!/usr/bin/env bash
# QEMU 10.0 beside Debian 12's own 7.2, for the tests' second QEMU version.
#
# Both cannot be installed as packages at once, so 10.0 (bookworm-backports)
# is unpacked into a private prefix (dpkg -x) and run through small wrappers
# that point it at its own data (-L) and modules (QEMU_MODULE_DIR). The
# libraries it needs are installed from Debian 12 itself (the backport is
# built against them). Prints the prefix's bin directory.
#
#   QMPSH_QEMU10_PREFIX   where to put it (default /opt/qmpsh/qemu-10.0)
set -euo pipefail
prefix=${QMPSH_QEMU10_PREFIX:-/opt/qmpsh/qemu-10.0}
bin=$prefix/bin
# Installed, with its module packages (an older install of this script lacked them).
if [ -x "$bin/qemu-system-x86_64" ] && "$bin/qemu-system-x86_64" --version 2>/dev/null | grep -q 'version 10\.0' &&
  [ -e "$prefix/root/usr/lib/x86_64-linux-gnu/qemu/ui-opengl.so" ]; then
  echo "$bin"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install QEMU 10.0 into $prefix" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/qmpsh-backports.list >/dev/null
fi
$SUDO apt-get update -qq
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# The module packages too: QEMU looks for a module in its own directory, then in
# the system's (7.2's). A module 10.0 lacks is taken from 7.2 and aborts QEMU
# ("Only modules from the same build can be loaded") as soon as something loads
# every module, e.g. qom-list-types.
packages=(qemu-system-x86 qemu-system-common qemu-system-data qemu-utils qemu-system-modules-opengl qemu-system-modules-spice)
(cd "$work" && $SUDO apt-get download -qq "${packages[@]/%//bookworm-backports}") ||
  { echo "install-qemu10.sh: could not download QEMU 10.0 from bookworm-backports (${packages[*]}): is deb.debian.org reachable?" >&2; exit 1; }
# Their libraries, from Debian 12 (not QEMU's own packages: those stay 7.2).
deps=$(for deb in "$work"/*.deb; do dpkg-deb -f "$deb" Depends; done |
  tr ',' '\n' | sed -E 's/^ *//; s/ *\(.*//; s/ *\|.*//' | grep -Ev '^(qemu-|seabios|ipxe|$)' | sort -u)
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $deps >/dev/null
$SUDO rm -rf "$prefix"
$SUDO mkdir -p "$prefix/root" "$bin"
for deb in "$work"/*.deb; do $SUDO dpkg -x "$deb" "$prefix/root"; done
root=$prefix/root
$SUDO tee "$bin/qemu-system-x86_64" >/dev/null <<EOF
#!/bin/sh
# QEMU 10.0 from bookworm-backports, unpacked by qmpsh's scripts/install-qemu10.sh
QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu exec $root/usr/bin/qemu-system-x86_64 -L $root/usr/share/qemu -L /usr/share/seabios "\$@"
EOF
$SUDO tee "$bin/qemu-storage-daemon" >/dev/null <<EOF
#!/bin/sh
QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu exec $root/usr/bin/qemu-storage-daemon "\$@"
EOF
$SUDO chmod 755 "$bin/qemu-system-x86_64" "$bin/qemu-storage-daemon"
"$bin/qemu-system-x86_64" --version | head -1 >&2
echo "$bin"
