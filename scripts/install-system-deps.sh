#!/usr/bin/env bash
# Installs the Debian packages policeperf and its tests drive for real when they are missing:
# Pango and fonts for WeasyPrint's PDF, Chromium for the browser tests (no browser download),
# poppler for rasterising PDF pages, Java for Spark. Safe to run repeatedly. Only on Debian and
# Ubuntu (apt-get); elsewhere it names what is missing and installs nothing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need+=(fonts-dejavu-core)
if ((${#need[@]} == 0)); then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  # Not Debian or Ubuntu: say what is missing (Debian's package names) and install nothing.
  echo "install-system-deps: no apt-get here; install these (Debian names) with your system's" \
    "package manager: ${need[*]}. PDF output needs Pango; the browser, PDF-page and Spark" \
    "tests need Chromium, poppler and Java." >&2
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "Installing system packages: ${need[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
