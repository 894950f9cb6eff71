#!/usr/bin/env bash
# Set everything up and run the whole test suite (offline; every non-loopback connection is refused).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null && ! fc-list 2>/dev/null | grep -qi wqy; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null) || \
    echo "warning: fonts-wqy-zenhei not installed; PDF fixture tests use the built-in CID font" >&2
fi
export GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False
exec .venv/bin/python -m pytest "$@"
