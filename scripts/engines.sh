#!/usr/bin/env bash
# Fetches the second engine generation the tests run on — Debian trixie's docker.io (Engine 26.1) and containerd
# (1.7) — without touching the system's apt sources or installed packages: a private sources list and lists
# directory under target/, `apt-get download`, `dpkg-deb -x` into target/engines/trixie. The mirror is the one the
# system's own sources name, so this works wherever apt already does. Idempotent: a complete cache is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

root="$PWD/target/engines/trixie"
if [ -x "$root/usr/sbin/dockerd" ] && [ -x "$root/usr/bin/containerd" ]; then
  exit 0
fi

apt_dir="$PWD/target/engines/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache" "$apt_dir/debs/partial" "$root"

. scripts/debian-mirror.sh
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) trixie main" > "$apt_dir/sources.list"

opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
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
