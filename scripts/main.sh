#!/usr/bin/env bash
# The main job: set up, build, and check the paper's claim catalogue (proofs/paper),
# printing the verdict table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo run --release --quiet -- check "$@"
