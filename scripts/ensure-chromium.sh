#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the page test (test/ui.e2e.test.ts).
# Idempotent: does nothing when `chromium` is already on the PATH. No browser download by
# playwright: the test drives this executable with playwright-core.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
command -v chromium
