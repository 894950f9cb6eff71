"""`kb` with the test embedder registered: tests that need a real process run
`python tests/kb_cli.py ARGS…` with KB_EMBED_BACKEND=hash (run as a script, so tests/ is on sys.path)."""
import sys

from hash_embedding import register

register()
from cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
