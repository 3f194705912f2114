#!/usr/bin/env bash
# Fetches the newer engine generations the tests run on — Debian trixie's docker.io (Engine 26.1) and containerd
# (1.7), and Debian forky's (Engine 28.5, containerd 2.1) — without touching the system's apt sources or installed
# packages: a private sources list and lists directory per suite under target/, `apt-get download`, `dpkg-deb -x`
# into target/engines/<suite>. Both run on bookworm as extracted (they are Go binaries; the system's runc, which
# docker.io pulls in, serves every generation). The mirror is the one the system's own sources name, so this works
# wherever apt already does. Idempotent: a complete cache is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/debian-mirror.sh

fetch_suite() {
  local suite=$1 root apt_dir
  root="$PWD/target/engines/$suite"
  if [ -x "$root/usr/sbin/dockerd" ] && [ -x "$root/usr/bin/containerd" ]; then
    return 0
  fi
  # trixie's lists live in apt/ (its first home); each later suite has its own, so one suite's .debs never
  # land in another's root.
  if [ "$suite" = trixie ]; then apt_dir="$PWD/target/engines/apt"; else apt_dir="$PWD/target/engines/apt-$suite"; fi
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache" "$apt_dir/debs/partial" "$root"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) $suite main" > "$apt_dir/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "Dir::Cache::Archives=$apt_dir/debs"
        -o APT::Get::List-Cleanup=0)
  apt-get "${opts[@]}" update -qq
  (cd "$apt_dir/debs" && apt-get "${opts[@]}" download docker.io containerd docker-cli 2>/dev/null \
    || apt-get "${opts[@]}" download docker.io containerd)
  for deb in "$apt_dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$root"
  done
  "$root/usr/sbin/dockerd" --version
  "$root/usr/bin/containerd" --version
}

fetch_suite trixie
fetch_suite forky
