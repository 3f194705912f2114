#!/usr/bin/env bash
# Regenerates what is generated from the CLI and shipped in every artifact: the man pages and the completions.
# Run after any change to src/cli.rs (tests/it/cli.rs fails while they differ).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q
bin=target/debug/mirrorctl
rm -f man/*.1
"$bin" man --dir man
"$bin" completions bash > completions/mirrorctl.bash
"$bin" completions zsh > completions/_mirrorctl
"$bin" completions fish > completions/mirrorctl.fish
