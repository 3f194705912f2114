#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need first when it is missing (Debian packages:
# docker-registry, docker.io for dockerd, skopeo, containerd, tinyproxy, minisign; trixie's engine into target/engines), so this one
# command works on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v ctr >/dev/null 2>&1 || need+=(containerd)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
command -v minisign >/dev/null 2>&1 || need+=(minisign)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
{ command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ]; } || need+=(docker.io)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi

# The second engine generation (trixie's Engine 26.1 + containerd 1.7), privately under target/engines.
bash scripts/engines.sh

mkdir -p target
cargo test --locked "$@" 2>&1 | tee target/test-output.log

# In CI (or with MIRRORCTL_TEST_DEB=1): build the .deb and the .rpm, install each, and run the installed binary.
if [ "${CI:-}" = "true" ] || [ "${MIRRORCTL_TEST_DEB:-}" = "1" ]; then
  command -v cargo-deb >/dev/null 2>&1 || cargo install cargo-deb --locked
  command -v cargo-generate-rpm >/dev/null 2>&1 || cargo install cargo-generate-rpm --locked
  bash scripts/package.sh
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo dpkg -i target/debian/mirrorctl_*.deb
  /usr/bin/mirrorctl --version
  ls /usr/share/man/man1/mirrorctl.1* >/dev/null
  test -s /usr/share/bash-completion/completions/mirrorctl
  $sudo dpkg -r mirrorctl
  echo "package: the .deb installs, runs and uninstalls"
  # The .rpm, with Debian's rpm tool: its file list, then an install into a private root (never the system's).
  rpm=$(ls target/generate-rpm/mirrorctl-*.rpm)
  files=$(rpm -qpl "$rpm")
  for f in /usr/bin/mirrorctl /usr/share/man/man1/mirrorctl.1 /usr/share/bash-completion/completions/mirrorctl \
           /usr/share/zsh/site-functions/_mirrorctl /usr/share/fish/vendor_completions.d/mirrorctl.fish; do
    grep -qx "$f" <<<"$files" || { echo "the .rpm lacks $f" >&2; exit 1; }
  done
  rpmroot=$(mktemp -d)
  rpm --root "$rpmroot" --initdb
  rpm --root "$rpmroot" -i --nodeps --noscripts "$rpm"
  "$rpmroot/usr/bin/mirrorctl" --version
  rpm --root "$rpmroot" -q mirrorctl
  rm -rf "$rpmroot"
  echo "package: the .rpm lists and installs its files"
fi

# One closing line for the whole suite, summed over cargo's test binaries.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' target/test-output.log
