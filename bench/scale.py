"""Scale: synthetic corpora of N chunks (~250 characters of Chinese each) through the catalog, Chroma and BM25.

    python bench/scale.py                      # 10k chunks, embedded Chroma
    python bench/scale.py --chunks 10000 100000 --server

Vectors are random but fixed (seeded, 384-d, normalised, the size of multilingual-e5-small) so that embedding
does not dominate: what is measured is the bookkeeping an ingest pays besides the model (jieba tokens, catalog
rows, Chroma inserts, the BM25 build), query latency (hybrid search end to end, and its parts), memory and disk.
Documents have 600 chunks each, like one magazine issue. Not part of the tests (the 100k case takes minutes).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from ingest import Chunk, DocMeta                     # noqa: E402
from kb.embeddings import CachedEmbedding             # noqa: E402
from kb.library import KnowledgeBase                  # noqa: E402
from kb.settings import load_settings                 # noqa: E402

DIM = 384
BATCH = int(os.environ.get("BENCH_BATCH", "512"))          # KnowledgeBase._add_vectors hands Chroma 512 at a time
PER_DOC = 600
PLACES = ["武进", "新北", "天宁", "钟楼", "金坛", "溧阳", "科教城", "西太湖", "高新区", "经开区", "滨江", "湖塘"]
FIELDS = ["新能源汽车", "动力电池", "石墨烯", "光伏", "智能制造", "生物医药", "集成电路", "工业互联网", "新材料",
          "轨道交通", "医疗器械", "人工智能", "储能", "碳纤维", "机器人", "软件信息"]
SENTENCES = [
    "{p}围绕{f}产业持续加大研发投入，全社会研发投入占地区生产总值比重达到{n}.{m}%，创新能力稳步提升。",
    "{p}科技企业孵化器新增在孵企业{n}家，其中{f}领域企业占比超过四成，孵化成效明显。",
    "市科技局联合{p}相关部门开展科技政策进企业活动，面对面解读研发费用加计扣除、高企认定等{f}相关政策。",
    "{p}推动产学研合作走深走实，与高校院所共建{f}新型研发机构{n}家，累计转化科技成果{m}百余项。",
    "对首次认定的高新技术企业，{p}在市级奖励基础上再给予一次性奖励{n}万元，用于支持{f}研发活动。",
    "{p}{f}产业集群加速集聚，龙头企业带动上下游配套企业协同创新，形成较为完整的产业链条。",
    "{p}人才科技企业在科技金融支持下快速成长，{f}企业科技贷款余额同比增长{n}%，缓解了融资难题。",
    "《常州科技》第{n}期报道，{p}建设{f}公共技术服务平台，为中小企业提供检测、中试和知识产权服务。",
    "根据《常州市科技创新促进条例》，{p}对认定的{f}重点实验室给予最高{n}百万元建设经费支持。",
]


def synthetic_chunk(rng: np.random.Generator) -> str:
    parts, size = [], 0
    while size < 240:
        s = SENTENCES[rng.integers(len(SENTENCES))].format(
            p=PLACES[rng.integers(len(PLACES))], f=FIELDS[rng.integers(len(FIELDS))],
            n=int(rng.integers(2, 99)), m=int(rng.integers(1, 9)))
        parts.append(s)
        size += len(s)
    return "".join(parts)[:260]


def synthetic_docs(n_chunks: int, seed: int = 0):
    """(DocMeta, chunks) per document of PER_DOC chunks; monthly issues from 2015 on."""
    rng = np.random.default_rng(seed)
    docs = []
    for d in range((n_chunks + PER_DOC - 1) // PER_DOC):
        year, month = 2015 + d // 12, d % 12 + 1
        doc_id = f"changzhou-keji-{year}-{month:02d}.txt"
        meta = DocMeta(doc_id=doc_id, title=f"《常州科技》{year}年第{month}期", publication="《常州科技》",
                       issue=f"{year}年第{month}期", date=f"{year}-{month:02d}", kind="magazine", source=doc_id,
                       content_hash=hashlib.sha256(doc_id.encode()).hexdigest())
        chunks = []
        for i in range(min(PER_DOC, n_chunks - d * PER_DOC)):
            text = synthetic_chunk(rng)
            chunks.append(Chunk(chunk_id=hashlib.sha256(f"{doc_id}\x00{i}\x00{text}".encode()).hexdigest()[:16],
                                doc_id=doc_id, ord=i, text=text, start=i * 260, end=i * 260 + len(text),
                                article=f"第{i // 20 + 1}篇", page=i // 6 + 1))
        docs.append((meta, chunks))
    return docs


class FixedRandomEmbedding(CachedEmbedding):
    """Random but fixed 384-d unit vectors (seeded by the text): for benchmarks only, no meaning."""

    model_name: str = "bench-random-384"

    def _embed(self, texts, is_query):
        out = []
        for t in texts:
            v = np.random.default_rng(int(hashlib.md5(t.encode()).hexdigest()[:8], 16)).standard_normal(DIM)
            out.append((v / np.linalg.norm(v)).astype(np.float32).tolist())
        return out


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024


def du_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20 if path.exists() else 0.0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


QUESTIONS = [f"{p}{f}产业研发投入" for p in PLACES for f in FIELDS[:4]] + \
            [f"首次认定高新技术企业{p}奖励多少" for p in PLACES] + [f"{f}重点实验室建设经费" for f in FIELDS]


def run(n: int, data_dir: Path, chroma_url: str = "") -> dict:
    env = {"KB_DATA_DIR": str(data_dir)}
    if chroma_url:
        env["KB_CHROMA_URL"] = chroma_url
    kb = KnowledgeBase(load_settings(env=env), embedder=FixedRandomEmbedding())
    docs = synthetic_docs(n)
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    r: dict = {"chunks": n, "docs": len(docs), "store": ("server" if chroma_url else "embedded") + f", batch {BATCH}"}

    t0 = time.perf_counter()
    tokens = [[" ".join(kb.tokenizer.tokenize(c.context_text())) for c in chunks] for _, chunks in docs]
    r["tokenize_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for (meta, chunks), toks in zip(docs, tokens):
        kb.catalog.stage(meta, meta.source, chunks, toks, sum(len(c.text) for c in chunks), [])
        kb.catalog.publish(meta.doc_id)
    r["catalog_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    i = 0
    for meta, chunks in docs:
        rows = [{"chunk_id": c.chunk_id, "doc_id": meta.doc_id, "index_text": c.context_text(), "kind": meta.kind,
                 "date": meta.date} for c in chunks]
        for b in range(0, len(rows), BATCH):                  # as KnowledgeBase._add_vectors does
            part = rows[b:b + BATCH]
            kb.vectors.add(part, vectors[i + b:i + b + len(part)].tolist())
        i += len(rows)
    r["chroma_add_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    kb._rebuild_bm25()
    r["bm25_build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    kb.bm25.stored_ids()
    r["bm25_load_s"] = time.perf_counter() - t0
    assert len(kb.vectors.ids()) == n == len(kb.catalog.chunk_ids())

    kb.search(QUESTIONS[0])                                   # warm: tokenizer, HNSW in memory
    qvecs = [kb.embedder.get_query_embedding(q) for q in QUESTIONS]
    dense, bm25, hybrid = [], [], []
    for q, v in zip(QUESTIONS * 2, qvecs * 2):
        t0 = time.perf_counter()
        kb.vectors.query(v, 40)
        dense.append(time.perf_counter() - t0)
        terms = kb.tokenizer.expand(kb.tokenizer.query_terms(q))
        t0 = time.perf_counter()
        kb.bm25.search(terms, 40)
        bm25.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        kb.search(q)
        hybrid.append(time.perf_counter() - t0)
    r.update(dense_p50=pct(dense, 50), dense_p95=pct(dense, 95), bm25_p50=pct(bm25, 50), bm25_p95=pct(bm25, 95),
             search_p50=pct(hybrid, 50), search_p95=pct(hybrid, 95), rss_mib=rss_mib(),
             peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
             chroma_mib=du_mib(data_dir / "chroma"), bm25_mib=du_mib(data_dir / "bm25"),
             catalog_mib=du_mib(data_dir) - du_mib(data_dir / "chroma") - du_mib(data_dir / "bm25"))
    kb.close()
    return r


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen([chroma, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=1).close()
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("chroma run did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000])
    parser.add_argument("--server", action="store_true", help="also measure a `chroma run` server on loopback")
    args = parser.parse_args()
    results = []
    for n in args.chunks:
        for server in ([False, True] if args.server else [False]):
            with tempfile.TemporaryDirectory() as tmp:
                proc, url = start_server(Path(tmp) / "server") if server else (None, "")
                try:
                    results.append(run(n, Path(tmp) / "kb", url))
                finally:
                    if proc:
                        proc.terminate()
                        proc.wait()
            print(results[-1], file=sys.stderr, flush=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| chunks | store | tokenize (jieba) | catalog | Chroma add | BM25 build | BM25 load | dense p50/p95 | "
          "BM25 p50/p95 | search p50/p95 | RSS / peak | disk Chroma / BM25 / catalog |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['chunks']:,} | {r['store']} | {r['tokenize_s']:.1f} s ({r['chunks'] / r['tokenize_s']:,.0f}/s) | "
              f"{r['catalog_s']:.1f} s | {r['chroma_add_s']:.1f} s ({r['chunks'] / r['chroma_add_s']:,.0f}/s) | "
              f"{r['bm25_build_s']:.1f} s | {r['bm25_load_s']:.2f} s | {r['dense_p50']:.1f} / {r['dense_p95']:.1f} ms | "
              f"{r['bm25_p50']:.1f} / {r['bm25_p95']:.1f} ms | {r['search_p50']:.0f} / {r['search_p95']:.0f} ms | "
              f"{r['rss_mib']:.0f} / {r['peak_rss_mib']:.0f} MiB | {r['chroma_mib']:.0f} / {r['bm25_mib']:.0f} / "
              f"{r['catalog_mib']:.0f} MiB |")


if __name__ == "__main__":
    main()
