#!/usr/bin/env bash
# Set everything up and run the whole test suite (offline; every non-loopback connection is refused).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
# Debian packages the tests use when present: a CJK font for generated PDFs, chromium for the browser test
# and for PDFs printed from HTML (Playwright drives /usr/bin/chromium; no browser is ever downloaded),
# LibreOffice Writer for PDFs converted from .docx. Without them those tests adapt or skip.
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  pkgs=()
  fc-list 2>/dev/null | grep -qi wqy || pkgs+=(fonts-wqy-zenhei)
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
  command -v soffice >/dev/null || pkgs+=(libreoffice-writer-nogui)
  if [ "${#pkgs[@]}" -gt 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${pkgs[@]}" >/dev/null 2>&1) || \
      echo "warning: could not install ${pkgs[*]}; PDF fixtures use the built-in CID font, the browser, Chromium-PDF and LibreOffice-PDF tests are skipped" >&2
  fi
fi
export GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False
exec .venv/bin/python -m pytest "$@"
