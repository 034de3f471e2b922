#!/usr/bin/env bash
# The peers bench/fleet.ts measures kinspect against (idempotent; quiet when present):
#   pssh (Debian package `pssh`: parallel-ssh) and ClusterShell (`clustershell` from PyPI: clush) in a venv under
#   ~/.cache/kinspect-bench/venv (override with KINSPECT_BENCH_VENV). xargs and ssh come with the lab's packages.
set -euo pipefail
if ! dpkg-query -W -f='${Status}' pssh 2>/dev/null | grep -q 'install ok installed'; then
  echo "bench: installing the Debian package pssh"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pssh >/dev/null
fi
venv="${KINSPECT_BENCH_VENV:-$HOME/.cache/kinspect-bench/venv}"
if [ ! -x "$venv/bin/clush" ]; then
  echo "bench: installing clustershell 1.10.1 into $venv"
  py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q 'clustershell==1.10.1'
fi
