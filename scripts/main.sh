#!/usr/bin/env bash
# The main job: set up, build, and audit the paper — the claim catalogue (proofs/paper),
# the Coq certificates, the plots and the experiments — writing target/audit/report.html
# (self-contained), report.md, results.json and plots/*.svg, and printing the summary.
# Extra arguments go to `stabcert audit` (e.g. --out DIR, --seed S, --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo run --release --quiet -- audit "$@"
