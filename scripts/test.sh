#!/usr/bin/env bash
# All tests: set up, then formatting, lints, the whole Rust test suite (unit, property, CLI,
# Coq) and the Python package's (built with `pip install .` into .venv, then pytest, Dask
# included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --python
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --check
else
  echo "test: rustfmt is not installed (rustup component add rustfmt); skipping the format check" >&2
fi
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --release --all-targets --quiet -- -D warnings
  PYO3_PYTHON="$PWD/.venv/bin/python" cargo clippy --release --lib --features python --quiet -- -D warnings
else
  echo "test: clippy is not installed (rustup component add clippy); skipping lints" >&2
fi
cargo test --release
# the Python package: built from this checkout by pip (maturin, an abi3 wheel) and tested
# against the binary cargo just built
PATH="$PWD/.venv/bin:$PATH" .venv/bin/python -m pip install -q --no-build-isolation --force-reinstall --no-deps .
STABCERT_BIN="$PWD/target/release/stabcert" .venv/bin/python -m pytest -q -p no:cacheprovider tests/python
