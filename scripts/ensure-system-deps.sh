#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing: a Java 17 runtime (for the bundled test
# Cassandra), Chromium (the report is tested in a real headless browser) and PostgreSQL's server binaries (the
# postgres store's tests initdb a server of their own, found under /usr/lib/postgresql/<major>/bin). Needs root or sudo when something
# is missing; does nothing when everything is present.
set -euo pipefail

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
[ -x /usr/bin/chromium ] || need+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "stampede: the tests need Debian packages ${need[*]}; install them (as root: apt-get install -y ${need[*]})" >&2
    exit 1
  fi
fi
echo "== installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
