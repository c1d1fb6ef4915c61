#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing: chromium (the report is opened in a
# headless browser) and R with survival and cmprsk (the generated R check runs in the tests).
# `make test` calls this, so a fresh machine needs nothing done by hand; without root or apt-get it says what is
# missing and the tests that need it fail with that message.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
if ! command -v Rscript >/dev/null 2>&1; then
  need+=(r-base-core r-cran-survival r-cran-cmprsk)
elif ! Rscript -e 'suppressMessages({library(survival); library(cmprsk)})' >/dev/null 2>&1; then
  need+=(r-cran-survival r-cran-cmprsk)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system_deps: missing ${need[*]}; install them with apt-get as root (the tests that need them will fail)" >&2
  exit 0
fi
echo "system_deps: installing ${need[*]} (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
