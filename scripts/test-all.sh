#!/usr/bin/env bash
# Runs every test of the workspace, installing first what the tests need:
# the peer tools the differential and end-to-end tests run against (tshark,
# OpenSSH sshd, ipmitool/ipmi_sim, ripgrep) and Python textfsm.
# This is the README's second command, and .ci/run calls exactly it.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tshark openssh-server openssh-client ipmitool openipmi ripgrep)
PIP_PACKAGES=("textfsm==2.1.0" "pyarrow")

# Python textfsm is the differential oracle of fsm-parse: make sure there is
# a python3 with pip to install it into (a minimal Debian has neither).
command -v python3 >/dev/null 2>&1 || APT_PACKAGES+=(python3)
python3 -m pip --version >/dev/null 2>&1 || APT_PACKAGES+=(python3-pip)
# The Python module fsm_parse is built and tested in a virtualenv; its
# crate's cdylib, built by `cargo test --workspace` without maturin, links
# libpython (python3-dev has the link-time library).
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || APT_PACKAGES+=(python3-venv)
APT_PACKAGES+=(python3-dev)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "test-all: installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pyarrow reads back the Parquet capture-sql writes (another engine's view).
if ! python3 -c 'import textfsm, sys, pyarrow.parquet; sys.exit(0 if textfsm.__version__.startswith("2.") else 1)' 2>/dev/null; then
  echo "test-all: installing Python packages: ${PIP_PACKAGES[*]}" >&2
  python3 -m pip install --quiet --disable-pip-version-check "${PIP_PACKAGES[@]}" \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${PIP_PACKAGES[@]}"
fi

# Tests that need a peer tool fail (instead of skipping) when this is set.
export NETOPS_REQUIRE_PEERS=1
# Unit, integration and doc tests of every crate. Benchmarks are not run
# here (they build a 256 MiB capture): see docs/BENCHMARKS.md.
cargo test --workspace "$@"

# The Python module fsm_parse (crates/fsm-parse-py): built once with maturin
# into a virtualenv under target/ (pip install, as the README shows), then
# its pytest suite: the textfsm API, clitable, parse_output, and the
# differential tests against textfsm 2.1 on the ntc-templates corpus
# (../shared/ntc-sample when it is there, else testdata/ntc) and on
# generated templates.
PYENV=target/pyenv
PY_PACKAGES=("maturin>=1.9,<2" "pytest" "textfsm==2.1.0")
[ -x "$PYENV/bin/python" ] || python3 -m venv "$PYENV"
"$PYENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
echo "test-all: building the Python module fsm_parse (maturin, release)" >&2
# Without build isolation maturin's PEP 517 hook runs the `maturin` of
# PATH: the virtualenv's, put first (a machine with none elsewhere fails
# otherwise).
PATH="$PWD/$PYENV/bin:$PATH" "$PYENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-build-isolation --force-reinstall --no-deps ./crates/fsm-parse-py
"$PYENV/bin/python" -m pytest -q -p no:cacheprovider crates/fsm-parse-py/tests
