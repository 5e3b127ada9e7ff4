#!/usr/bin/env bash
# Make sure Node.js and npm are installed (the studio is built and tested with them); from Debian's packages when absent.
set -euo pipefail
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && exit 0
echo "Node.js/npm are not installed; installing them from Debian's packages" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
command -v node >/dev/null && command -v npm >/dev/null
