#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need first when it is missing (Debian packages:
# docker-registry, docker.io for dockerd, skopeo, containerd, tinyproxy, minisign, debootstrap, qemu-user-static,
# ansible, python3-venv (for ansible-lint from PyPI in target/ansible-lint-venv);
# prometheus and prometheus-node-exporter;
# chromium and fonts-wqy-zenhei for the report page (its Chinese screenshot);
# trixie's and forky's engines into target/engines, a bullseye root and a trixie root with wine into target/roots),
# builds the release artifacts the release tests check (scripts/release.sh, signed with a key made for the tests;
# the Windows .zip among them), checks that mirrorctl compiles for macOS, so this one command works on a fresh
# Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v ctr >/dev/null 2>&1 || need+=(containerd)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
command -v minisign >/dev/null 2>&1 || need+=(minisign)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
{ command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ]; } || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
[ -x /usr/bin/qemu-aarch64-static ] || need+=(qemu-user-static)
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || need+=(libc6-arm64-cross)
command -v cpio >/dev/null 2>&1 || need+=(cpio)
command -v zip >/dev/null 2>&1 || need+=(zip)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v rpm >/dev/null 2>&1 || need+=(rpm)
# `script`, the pseudo-terminal of tests/it/screens.rs.
command -v script >/dev/null 2>&1 || need+=(bsdutils)
command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible)
/usr/bin/python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi

# The newer engine generations (trixie's Engine 26.1 + containerd 1.7, forky's 28.5 + 2.1), privately under
# target/engines, the oldest Debian root the release binary must run in, and trixie's wine for the Windows one.
bash scripts/engines.sh
bash scripts/bullseye.sh
bash scripts/wine.sh

# ansible-lint for tests/it/ansible.rs (which never reaches a registry itself): bookworm's is 6.13 from early 2023,
# so PyPI's current one, pinned, in a venv of Debian's python under target/ (never the system's site-packages).
lint=target/ansible-lint-venv
if ! "$lint/bin/ansible-lint" --version >/dev/null 2>&1; then
  rm -rf "$lint"
  /usr/bin/python3 -m venv "$lint"
  "$lint/bin/pip" install --quiet --disable-pip-version-check ansible-lint==26.10.1
fi

# The release artifacts, each binary built once (maturin + zig, glibc 2.17), signed with a key made for the tests:
# tests/it/release.rs and tests/it/install.rs check them.
key=target/release-test-key
if [ ! -f "$key/mirrorctl.key" ]; then
  mkdir -p "$key"
  minisign -G -W -f -p "$key/mirrorctl.pub" -s "$key/mirrorctl.key" >/dev/null
fi
bash scripts/release.sh --key "$key/mirrorctl.key" --pubkey "$key/mirrorctl.pub"

# macOS: the code must keep compiling there (cfg(unix) gates; Windows is built, zipped and run under wine by
# release.sh and tests/it/windows.rs). `cargo zigbuild check` gives ring's C a cross compiler (zig, from release.sh's
# venv, with cargo-zigbuild from PyPI beside it); macOS cannot link here (Apple's SDK), so it is checked only — the
# release workflow builds it on a macOS runner. rustup adds each standard library as release.sh adds aarch64's.
# Measured here (2 shared cores): cold, 3.2 min (aarch64) and 1.8 min (x86_64); a few seconds each when warm.
export PATH="$PWD/target/release-tools/venv/bin:$PATH"
for triple in aarch64-apple-darwin x86_64-apple-darwin; do
  rustup target list --installed | grep -qx "$triple" || rustup target add "$triple"
  cargo-zigbuild check --locked --target "$triple"
done

# The unit tests built for Windows (cargo zigbuild), left as target/windows-unit-tests.exe: tests/it/windows.rs runs
# the Windows-only ones (the Engine API over a named pipe, the desktop products' paths) under wine.
cargo-zigbuild test --locked --no-run --bin mirrorctl --target x86_64-pc-windows-gnu
unit_exe=$(cargo-zigbuild test --locked --no-run --bin mirrorctl --target x86_64-pc-windows-gnu \
  --message-format=json 2>/dev/null | sed -n 's/.*"executable":"\([^"]*\.exe\)".*/\1/p' | tail -n 1)
[ -n "$unit_exe" ] || { echo "test.sh: no Windows unit-test binary was built" >&2; exit 1; }
mkdir -p target
cp "$unit_exe" target/windows-unit-tests.exe

cargo test --locked "$@" 2>&1 | tee target/test-output.log

# In CI (or with MIRRORCTL_TEST_DEB=1): install the release's .deb with dpkg and its .rpm into a private root, and
# run what each installed.
if [ "${CI:-}" = "true" ] || [ "${MIRRORCTL_TEST_DEB:-}" = "1" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo dpkg -i target/dist/mirrorctl_*_amd64.deb
  /usr/bin/mirrorctl --version
  ls /usr/share/man/man1/mirrorctl-probe.1* >/dev/null
  test -s /usr/share/bash-completion/completions/mirrorctl
  $sudo dpkg -r mirrorctl
  echo "package: the .deb installs, runs and uninstalls"
  rpm=$(ls target/dist/mirrorctl-*.x86_64.rpm)
  rpmroot=$(mktemp -d)
  rpm --root "$rpmroot" --initdb
  rpm --root "$rpmroot" -i --nodeps --noscripts "$rpm"
  "$rpmroot/usr/bin/mirrorctl" --version
  rpm --root "$rpmroot" -q mirrorctl
  rm -rf "$rpmroot"
  echo "package: the .rpm installs into a private root and runs"
fi

# One closing line for the whole suite, summed over cargo's test binaries.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' target/test-output.log
