#!/usr/bin/env bash
# Builds the release binary, its completions, the .deb (target/debian/mirrorctl_*.deb) and the .rpm
# (target/generate-rpm/mirrorctl-*.rpm). Needs `cargo install cargo-deb cargo-generate-rpm --locked`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
mkdir -p target/completions
target/release/mirrorctl completions bash > target/completions/mirrorctl.bash
target/release/mirrorctl completions zsh > target/completions/_mirrorctl
target/release/mirrorctl completions fish > target/completions/mirrorctl.fish
cargo deb --no-build --locked
cargo generate-rpm
ls -l target/debian/*.deb target/generate-rpm/*.rpm
