#!/usr/bin/env bash
# Every release artifact, from one run, into target/dist (or --out DIR):
#   mirrorctl-<v>-<arch>-linux.tar.gz        x86_64 and aarch64: the binary, every man page, the completions,
#                                            LICENSE and both READMEs
#   mirrorctl_<v>-1_<amd64|arm64>.deb        built from those same binaries (cargo-deb --no-build)
#   mirrorctl-<v>-1.<x86_64|aarch64>.rpm     the same (cargo-generate-rpm)
#   mirrorctl-<v>-x86_64-windows.zip         mirrorctl.exe (cargo-zigbuild, x86_64-pc-windows-gnu), LICENSE and
#                                            both READMEs
#   mirrorctl-<v>-py3-none-manylinux2014_<arch>.whl   `pip install mirrorctl` (maturin, bindings = "bin")
#   install.sh, VERSION                      the installer, and what its "latest" means
#   SHA256SUMS, SHA256SUMS.minisig           over all of the above, signed with minisign
#
# Each binary is built once: maturin builds the wheel with zig as the linker against glibc 2.17 (manylinux2014),
# and the tarball, the .deb and the .rpm take the binary it left in target/<triple>/release. That one binary runs on
# CentOS 7, RHEL/Rocky 8, Kylin V10, openEuler 20.03, UOS 20, Ubuntu 20.04, Debian 11 and everything newer.
#
#   bash scripts/release.sh --key mirrorctl.key              # a maintainer's release, signed with the project key
#   bash scripts/release.sh --key test.key --pubkey test.pub # a team's own (or the tests'), with its own key
#   bash scripts/release.sh --unsigned                       # a local build, no signature
# MIRRORCTL_RELEASE_KEY may name the secret key instead of --key.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/dist
key=${MIRRORCTL_RELEASE_KEY:-}
pubkey=""
unsigned=0
arches=()
while [ $# -gt 0 ]; do
  case $1 in
    --key) key=$2; shift 2 ;;
    --pubkey) pubkey=$2; shift 2 ;;
    --unsigned) unsigned=1; shift ;;
    --out) out=$2; shift 2 ;;
    --arch) arches+=("$2"); shift 2 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "release.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 aarch64)
if [ "$unsigned" = 0 ] && [ -z "$key" ]; then
  echo "release.sh: no signing key: --key SECRET_KEY (or MIRRORCTL_RELEASE_KEY), or --unsigned for a local build" >&2
  exit 2
fi

version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
# The project's key is the one install.sh embeds (and src/catalogue/update.rs pins; a test keeps them equal).
project_key=$(sed -n 's/^PUBKEY="\(RW[^"]*\)"$/\1/p' install.sh)
if [ -z "$pubkey" ]; then
  pubkey=$project_key
elif [ -f "$pubkey" ]; then
  pubkey=$(tail -n 1 "$pubkey")
fi
# Reproducible archives: every timestamp is the last commit's.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

# ---- tools, pinned, installed where missing (Python ones in a private venv under target/)
tools=target/release-tools
if [ ! -x "$tools/venv/bin/maturin" ] || ! "$tools/venv/bin/python" -c 'import ziglang' 2>/dev/null; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check 'maturin==1.16.0' 'ziglang==0.17.1'
fi
[ -x "$tools/venv/bin/cargo-zigbuild" ] ||
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check 'cargo-zigbuild==0.24.1'
export PATH="$PWD/$tools/venv/bin:$PATH"
command -v cargo-deb >/dev/null 2>&1 || cargo install cargo-deb --locked --version 3.8.0
command -v cargo-generate-rpm >/dev/null 2>&1 || cargo install cargo-generate-rpm --locked --version 0.21.1
for arch in "${arches[@]}"; do
  rustup target list --installed | grep -qx "$arch-unknown-linux-gnu" || rustup target add "$arch-unknown-linux-gnu"
done

rm -rf "$out" target/release-stage
mkdir -p "$out" target/release-stage
# The wheel's data (pyproject.toml: tool.maturin.data): installed under the venv's prefix as share/…
data=target/wheel-data/data/share
rm -rf target/wheel-data
mkdir -p "$data/man/man1" "$data/bash-completion/completions" "$data/zsh/site-functions" "$data/fish/vendor_completions.d"
cp man/*.1 "$data/man/man1/"
cp completions/mirrorctl.bash "$data/bash-completion/completions/mirrorctl"
cp completions/_mirrorctl "$data/zsh/site-functions/_mirrorctl"
cp completions/mirrorctl.fish "$data/fish/vendor_completions.d/mirrorctl.fish"

started=$(date +%s)
for arch in "${arches[@]}"; do
  triple=$arch-unknown-linux-gnu
  echo "== $arch: wheel and binary (maturin, zig, glibc 2.17)" >&2
  maturin build --release --locked -b bin --zig --compatibility manylinux2014 --target "$triple" --out "$out" >&2
  bin=target/$triple/release/mirrorctl
  newest=$(readelf -V "$bin" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -n 1)
  case $newest in
    GLIBC_2.1[0-7] | GLIBC_2.[0-9] | GLIBC_2.[0-9].*) ;;
    *) echo "release.sh: $bin needs $newest; the release promises glibc 2.17" >&2; exit 1 ;;
  esac

  echo "== $arch: tarball" >&2
  name=mirrorctl-$version-$arch-linux
  stage=target/release-stage/$name
  mkdir -p "$stage/man" "$stage/completions"
  install -m 755 "$bin" "$stage/mirrorctl"
  install -m 644 man/*.1 "$stage/man/"
  install -m 644 completions/mirrorctl.bash completions/_mirrorctl completions/mirrorctl.fish "$stage/completions/"
  install -m 644 LICENSE README.md README.zh-CN.md "$stage/"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -C target/release-stage -cf - "$name" | gzip -n -9 >"$out/$name.tar.gz"

  echo "== $arch: .deb and .rpm from the same binary" >&2
  cargo deb --no-build --no-strip --locked --target "$triple" --output "$out/" >&2
  cargo generate-rpm --target "$triple" --output "$out/" >&2
done

# Windows x86_64 (GNU target, linked by zig through cargo-zigbuild, the same zig as above): a .zip of the binary,
# LICENSE and both READMEs (man pages and shell completions are not Windows'), entries sorted and dated to the
# last commit. macOS binaries need Apple's SDK to link, so they are built on a macOS runner, not here.
# rustup adds the target's standard library as it adds aarch64's above (CI reaches rustup's dist server).
wtriple=x86_64-pc-windows-gnu
rustup target list --installed | grep -qx "$wtriple" || rustup target add "$wtriple"
echo "== x86_64: Windows binary and .zip (cargo-zigbuild)" >&2
cargo-zigbuild zigbuild --release --locked --target "$wtriple" >&2
name=mirrorctl-$version-x86_64-windows
stage=target/release-stage/$name
mkdir -p "$stage"
install -m 644 "target/$wtriple/release/mirrorctl.exe" "$stage/mirrorctl.exe"
install -m 644 LICENSE README.md README.zh-CN.md "$stage/"
find "$stage" -exec touch -d "@$SOURCE_DATE_EPOCH" {} +
zip_out=$(cd "$out" && pwd)/$name.zip
(cd target/release-stage && find "$name" | LC_ALL=C sort | TZ=UTC zip -X -q -@ "$zip_out")
built=$(( $(date +%s) - started ))

install -m 644 install.sh "$out/install.sh"
echo "$version" >"$out/VERSION"

(cd "$out" && sha256sum -- * >SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS)
if [ "$unsigned" = 0 ]; then
  minisign -S -s "$key" -m "$out/SHA256SUMS" -x "$out/SHA256SUMS.minisig" -t "mirrorctl $version release"
  if ! minisign -V -q -P "$pubkey" -m "$out/SHA256SUMS" -x "$out/SHA256SUMS.minisig"; then
    echo "release.sh: the signature does not verify with $pubkey" >&2
    [ "$pubkey" = "$project_key" ] && echo "  (the project's key in install.sh; a team's own key: --pubkey FILE)" >&2
    exit 1
  fi
fi

echo "release $version built in ${built}s into $out:" >&2
ls -l "$out" >&2
