#!/usr/bin/env bash
# A Debian trixie root with trixie's wine (10.0) under target/roots/trixie-wine, made with debootstrap, where
# tests/it/windows.rs runs the release's mirrorctl.exe. Trixie's, not the system's: bookworm's wine 8.0 lacks
# bcryptprimitives.dll, which current Rust's standard library imports, so no Rust program starts under it.
# Nothing of the system's is touched; a complete root is kept (idempotent), and a broken one is made again.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/target/roots/trixie-wine"
[ -x "$root/usr/lib/wine/wine64" ] && [ -d "$root/usr/lib/locale/zh_CN.utf8" ] && [ -e "$root/.complete" ] && exit 0
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y --no-install-recommends debootstrap
}
. scripts/debian-mirror.sh
log="$PWD/target/roots/trixie-wine.log"
rm -rf "$root"
mkdir -p "$root"
started=$(date +%s)
# wine64 alone (no recommends: no fonts, no 32-bit side, no X server), resolved by debootstrap with the base; and
# locales, for zh_CN.UTF-8: wine takes a Windows display language from LC_MESSAGES only when glibc has the locale
# (tests/it/windows.rs runs the exe on a Chinese Windows with no LANG in its environment).
debootstrap --variant=minbase --include=wine64,locales trixie "$root" "$(debian_mirror)" >"$log" 2>&1 || {
  tail -n 20 "$log" >&2
  exit 1
}
chroot "$root" localedef --no-archive -i zh_CN -f UTF-8 zh_CN.UTF-8
# wine finds its own libraries through /proc/self: a private mount namespace gives the root a /proc for this one
# check, gone with it (the tests mount their own the same way).
# shellcheck disable=SC2016 # $1 is the inner shell's
version=$(unshare --mount --propagation private sh -c 'mount -t proc proc "$1/proc" && exec chroot "$1" /usr/lib/wine/wine64 --version' sh "$root")
case $version in
  wine-10.*) ;;
  *) echo "wine.sh: the root's wine says '$version'; tests/it/windows.rs wants trixie's wine 10" >&2; exit 1 ;;
esac
touch "$root/.complete"
echo "trixie-wine: $version, root made in $(( $(date +%s) - started ))s" >&2
