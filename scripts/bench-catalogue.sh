#!/usr/bin/env bash
# How long `catalogue update` and `list` take on a big signed catalogue: N entries (default 69121, just under the
# 4 MiB a catalogue may be), signed with a key made for the run, updated from a file and listed, all in a temp dir
# (HOME, XDG dirs and the state directory are sandboxed; nothing of the machine's is read or written).
#
#   bash scripts/bench-catalogue.sh [ENTRIES] [MIRRORCTL-BINARY]
#
# The binary defaults to target/release/mirrorctl, else target/debug/mirrorctl. Needs minisign (Debian: minisign).
set -euo pipefail
cd "$(dirname "$0")/.."

entries="${1:-69121}"
bin="${2:-}"
if [ -z "$bin" ]; then
  if [ -x target/release/mirrorctl ]; then bin=target/release/mirrorctl; else bin=target/debug/mirrorctl; fi
fi
[ -x "$bin" ] || { echo "no mirrorctl binary at $bin: run cargo build first" >&2; exit 1; }
command -v minisign >/dev/null || { echo "minisign is not installed: apt-get install -y minisign" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

awk -v n="$entries" 'BEGIN {
  printf "[catalogue]\nupdated = \"2099-01-01\"\nregistry = \"docker.io\"\n"
  for (i = 1; i <= n; i++) printf "[[mirror]]\nname=\"%d\"\nurl=\"http://h/%d\"\nstatus=\"active\"\n", i, i
}' >"$tmp/mirrors.toml"
minisign -G -W -p "$tmp/key.pub" -s "$tmp/key.sec" >/dev/null
minisign -S -s "$tmp/key.sec" -m "$tmp/mirrors.toml" </dev/null >/dev/null
key="$(sed -n 2p "$tmp/key.pub")"

run() {
  env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 NO_COLOR=1 HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" \
    XDG_CACHE_HOME="$tmp/cache" MIRRORCTL_STATE_DIR="$tmp/state" "$bin" "$@"
}
# Wall-clock and CPU time: the machine may be busy with other work, and CPU time is what the catalogue costs.
seconds() {
  local TIMEFORMAT="wall %R s, cpu %U s user + %S s sys"
  { time "$@" >/dev/null 2>&1; } 2>&1
}

size="$(wc -c <"$tmp/mirrors.toml")"
echo "binary: $bin"
echo "catalogue: $entries entries, $size bytes"
echo "catalogue update: $(seconds run catalogue update --from "$tmp/mirrors.toml" --trust-key "$key" --json)"
echo "list --json:      $(seconds run list --json)"
echo "list:             $(seconds run list)"
