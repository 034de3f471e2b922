#!/usr/bin/env bash
# Installs the Debian packages the lab runs on, and zsh for the completion tests (idempotent; quiet when all are present).
set -euo pipefail
pkgs=(containerd runc containernetworking-plugins openssh-server openssh-client busybox-static dnsutils zsh
      conntrack ipvsadm nftables iptables iproute2 util-linux procps psmisc kmod ethtool sudo iputils-ping)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "lab: installing Debian packages: ${missing[*]}"
  # Never let a package's postinst start a daemon: the lab starts its own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "lab: Go is required to build the lab binaries (go not on PATH)" >&2; exit 1; }
