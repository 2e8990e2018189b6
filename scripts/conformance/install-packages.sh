#!/usr/bin/env bash
# make conformance, first step: the real servers the conformance run puts in the loop (nginx, and
# squid as the forward proxy), from Debian's packages, installed only when missing: a machine that
# has them pays one `command -v` per binary. Without root (a developer's laptop) nothing is
# installed and the tests say what is missing: they skip outside CI and fail in CI (CI=true).
# Services are not started by the packages (policy-rc.d): the tests run their own instances.
set -euo pipefail

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v squid >/dev/null 2>&1 || [ -x /usr/sbin/squid ] || missing+=(squid)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)   # htpasswd entries (openssl passwd)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "conformance: ${missing[*]} missing and cannot be installed here (needs root and" \
       "apt-get): install them (apt-get install nginx squid openssl) to run these tests" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0   # the tests themselves skip, naming what is missing
fi

echo "conformance: installing ${missing[*]} (apt-get)" >&2
# Keep the packages' own services from starting (ports 80 and 3128, left running): unless the
# machine already has a policy, one that refuses every start, removed again afterwards.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -q -o DPkg::Lock::Timeout=300)
"${apt[@]}" update >/dev/null
"${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
echo "conformance: installed ${missing[*]}" >&2
