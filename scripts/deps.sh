#!/usr/bin/env bash
# Makes sure the Debian packages the build links against are present.
# As root it installs what is missing; otherwise it prints the exact apt-get line and stops.
set -euo pipefail
command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6.2 or later (swift.org) first" >&2; exit 1; }
packages=(libcurl4-openssl-dev libsqlite3-dev libqrencode-dev pkg-config)
# `deps.sh test`: also what the test suite's stand-in servers need (a real SMTP server on
# python3-aiosmtpd, openssl for its throwaway TLS certificate, PostgreSQL for throwaway clusters),
# zbar-tools, whose zbarimg decodes the payment QR codes and barcodes back in the tests, and strace,
# with which a test checks that an enqueue's commit is synced before it is acknowledged.
if [ "${1:-}" = "test" ]; then packages+=(python3 python3-aiosmtpd openssl postgresql zbar-tools strace); fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing Debian packages; run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
