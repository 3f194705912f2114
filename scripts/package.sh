#!/usr/bin/env bash
# Builds the release binary, its completions, and the .deb (target/debian/mirrorctl_*.deb).
# Needs cargo-deb: `cargo install cargo-deb --locked`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
mkdir -p target/completions
target/release/mirrorctl completions bash > target/completions/mirrorctl.bash
target/release/mirrorctl completions zsh > target/completions/_mirrorctl
target/release/mirrorctl completions fish > target/completions/mirrorctl.fish
cargo deb --no-build --locked
ls -l target/debian/*.deb
