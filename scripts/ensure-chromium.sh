#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the studio's browser tests (/usr/bin/chromium). Playwright never
# downloads a browser here: the tests drive this one.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
echo "Chromium is not installed; installing it from Debian's packages" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
