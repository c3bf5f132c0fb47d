#!/usr/bin/env bash
# Installs what stabcert needs on a Debian machine that has only Rust, and skips what is
# present: m4 (GMP's build needs it), a C compiler and make (GMP/MPFR build from source),
# Coq 8.16 with the Interval library (the formal certificates), z3 (the decision procedure
# for real algebra that `check` calls on polynomial relations), and Python 3 with mpmath (the
# independent oracle of the differential fuzzer in the tests); and with `--python`, the
# Python side: a virtual environment .venv (maturin, pytest, NumPy, dask[distributed]) from
# PyPI, into which scripts/test.sh installs the stabcert package.
# Uses sudo when not root. Sourced or run by scripts/main.sh and scripts/test.sh.
set -euo pipefail

need=()
command -v m4 >/dev/null 2>&1 || need+=(m4)
command -v make >/dev/null 2>&1 || need+=(make)
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v coqc >/dev/null 2>&1 || need+=(coq)
command -v z3 >/dev/null 2>&1 || need+=(z3)
# the Interval library lives under coq's user-contrib once installed
interval_dir=""
if command -v coqc >/dev/null 2>&1; then interval_dir="$(coqc -where)/user-contrib/Interval"; fi
if { [ -z "$interval_dir" ] || [ ! -d "$interval_dir" ]; } \
   && ! ls /usr/lib/*/coq/user-contrib/Interval >/dev/null 2>&1 \
   && ! ls /usr/lib/coq/user-contrib/Interval >/dev/null 2>&1; then
  need+=(libcoq-interval)
fi

# the fuzzer's oracle (tests/oracles/fuzz_oracle.py) needs Python 3 with mpmath: any python3
# on the PATH that has it, else Debian's
if ! { command -v python3 >/dev/null 2>&1 && python3 -c 'import mpmath' >/dev/null 2>&1; } \
   && ! { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import mpmath' >/dev/null 2>&1; }; then
  need+=(python3-mpmath)
fi

if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${need[*]} and no apt-get to install them; install them by hand" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "setup: cargo not found; install Rust (rustup) first" >&2; exit 1; }

# the Python package's build and test environment (scripts/test.sh passes --python)
if [ "${1:-}" = "--python" ]; then
  venv=".venv"
  py_packages=("maturin>=1.7,<2" "pytest" "numpy" "dask[distributed]")
  if [ ! -x "$venv/bin/python" ]; then
    py=python3
    command -v "$py" >/dev/null 2>&1 || py=/usr/bin/python3
    if ! "$py" -m venv "$venv" >/dev/null 2>&1; then
      # Debian's python3 needs its venv module as a package
      rm -rf "$venv"
      SUDO=""
      if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
      echo "setup: installing python3-venv" >&2
      export DEBIAN_FRONTEND=noninteractive
      $SUDO apt-get update -qq
      $SUDO apt-get install -y -qq --no-install-recommends python3-venv python3-pip >/dev/null
      /usr/bin/python3 -m venv "$venv"
    fi
  fi
  if ! "$venv/bin/python" -c 'import maturin, pytest, numpy, dask.distributed' >/dev/null 2>&1; then
    echo "setup: installing ${py_packages[*]} into $venv" >&2
    "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$venv/bin/python" -m pip install -q "${py_packages[@]}"
  fi
fi
