#!/usr/bin/env bash
# A Debian bullseye root (glibc 2.31, the oldest release Debian's archive still serves) under target/roots/bullseye,
# made with debootstrap, where the release tests run the x86_64 release binary as on an old server. Nothing of the
# system's is touched; a complete root is kept (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/target/roots/bullseye"
[ -x "$root/bin/sh" ] && [ -e "$root/.complete" ] && exit 0
command -v debootstrap >/dev/null 2>&1 || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y --no-install-recommends debootstrap
}
. scripts/debian-mirror.sh
rm -rf "$root"
mkdir -p "$root"
debootstrap --variant=minbase bullseye "$root" "$(debian_mirror)" >target/roots/bullseye.log 2>&1 || {
  tail -n 20 target/roots/bullseye.log >&2
  exit 1
}
touch "$root/.complete"
# sed, not head: head would close the pipe early, and pipefail would fail on the SIGPIPE.
chroot "$root" /usr/bin/ldd --version | sed -n 1p
