#!/usr/bin/env bash
# Set everything up, index the bundled corpus (once; later runs skip unchanged files) and start the app.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
export GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False
.venv/bin/kb ingest
exec .venv/bin/kb serve "$@"
