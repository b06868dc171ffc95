#!/usr/bin/env bash
# Debian's Chromium for tests/report/test_browser.py (the report opened in headless Chromium).
# Installs it where it is missing and apt-get can (root, Debian or Ubuntu); otherwise says why
# and leaves the test to skip with that reason. Never fails the caller: the browser is optional.
set -uo pipefail
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: no Chromium and no root apt-get here; the browser test will skip" >&2
    exit 0
fi
echo "install_browser: installing Debian's chromium (once per machine)" >&2
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1; then
    echo "install_browser: apt-get could not install chromium; the browser test will skip" >&2
fi
exit 0
