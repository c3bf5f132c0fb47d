#!/usr/bin/env bash
# All tests: set up, then formatting, lints and the whole test suite (unit, property, CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --check
else
  echo "test: rustfmt is not installed (rustup component add rustfmt); skipping the format check" >&2
fi
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --release --all-targets --quiet -- -D warnings
else
  echo "test: clippy is not installed (rustup component add clippy); skipping lints" >&2
fi
cargo test --release
