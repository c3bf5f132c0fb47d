#!/usr/bin/env bash
# Shows that two builds of stabcert produce the same outputs (for refactorings that must not
# change behaviour): the full audit, `certify` with coqc, `check --json` on the paper and on
# examples/claims.toml, and `certify --json --no-coqc`. Coq's own build products (.aux with
# timings and absolute paths, .vo, .vos, .vok, .glob) are left out, and the output folder's
# name is removed from printed paths. Run it on a quiet machine: verdicts that rest on time
# budgets can change under load.
#   scripts/same-outputs.sh OLD_BINARY NEW_BINARY [WORK_DIR]
set -uo pipefail
old=$1; new=$2; work=${3:-$(mktemp -d)}
cd "$(dirname "$0")/.."
run() {
  local bin=$1 out=$2
  rm -rf "$out"; mkdir -p "$out"
  "$bin" audit --out "$out/audit" > "$out/audit.stdout" 2> "$out/audit.stderr"
  "$bin" certify --out "$out/coq" > "$out/certify.stdout" 2> "$out/certify.stderr"
  "$bin" check --json examples/claims.toml > "$out/examples.json" 2>&1
  "$bin" check --json > "$out/paper.json" 2>&1
  "$bin" certify --json --no-coqc --out "$out/coq2" > "$out/certify2.json" 2>&1
}
# SKIP_RUN=1 compares the outputs already in WORK_DIR/A and WORK_DIR/B
if [ -z "${SKIP_RUN:-}" ]; then
  run "$old" "$work/A"
  run "$new" "$work/B"
fi
x=(-x '.*.aux' -x '*.vo' -x '*.vos' -x '*.vok' -x '*.glob')
status=0
for d in audit coq coq2; do
  diff -r "${x[@]}" "$work/A/$d" "$work/B/$d" > /dev/null || { echo "differs: $d"; status=1; }
done
for f in examples.json paper.json certify2.json audit.stdout certify.stdout; do
  diff <(sed "s#$work/A/##g" "$work/A/$f") <(sed "s#$work/B/##g" "$work/B/$f") > /dev/null \
    || { echo "differs: $f"; status=1; }
done
n=$(find "$work/A/audit" "$work/A/coq" -type f | grep -cvE '\.(aux|vo|vos|vok|glob)$')
[ $status = 0 ] && echo "identical: audit/ and coq/ ($n files), coq2/, examples.json, paper.json, certify2.json, the audit's and certify's output"
exit $status
