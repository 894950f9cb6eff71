"""Crash consistency: `kb ingest` SIGKILLed at random points, then resumed; the three stores must agree.

Each cycle changes some files (new versions that keep most paragraphs, so replacement shares chunk ids), starts the
CLI's ingest in a separate process, SIGKILLs it after a random delay (mostly just after a changed file was staged, so
the kill lands among stage → vectors → publish → delete → BM25), checks what a reader sees in the interrupted state,
resumes the ingest to completion (some cycles leave the damage for the next, killed, run to repair) and checks:
catalog ready chunk ids == Chroma ids == BM25 ids, no duplicates, no staging rows, every file present in its latest
version and no older one visible, queries find it. Runs use the test suite's hash embedder (KB_EMBED_BACKEND=hash).
"""
from __future__ import annotations

import collections
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from kb.catalog import STAGING_PREFIX
from kb.library import KnowledgeBase
from kb.retrieve import Filters
from kb.settings import load_settings

from conftest import ROOT, TESTS, HashEmbedding

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CYCLES = 20
N_FILES = 6
PLACES = ["武进", "新北", "天宁", "钟楼", "金坛", "溧阳", "科教城", "西太湖"]
SENTENCES = [
    "{p}区围绕新能源、新材料和智能制造三大主导产业，持续加大研发投入，全社会研发投入占地区生产总值比重稳步提高。",
    "{p}科技企业孵化器新增在孵企业{n}家，其中高新技术企业培育入库企业占比超过四成，孵化成效明显。",
    "市科技局联合{p}相关部门开展科技政策进企业活动，面对面解读研发费用加计扣除、高企认定等政策。",
    "{p}推动产学研合作走深走实，与高校院所共建新型研发机构{n}家，累计转化科技成果一百余项。",
    "对首次认定的高新技术企业，{p}在市级奖励基础上再给予一次性奖励{n}万元，用于支持企业研发活动。",
    "{p}石墨烯、光伏等产业集群加速集聚，龙头企业带动上下游配套企业协同创新，形成完整产业链条。",
    "{p}人才科技企业在科技金融支持下快速成长，科技贷款余额同比增长{n}%，有效缓解轻资产企业融资难题。",
]


def _paragraph(rng: random.Random, place: str) -> str:
    return "".join(rng.choice(SENTENCES).format(p=place, n=rng.randint(2, 99)) for _ in range(rng.randint(3, 6)))


class Corpus:
    """Text files with a version marker; new versions replace one paragraph and the marker, keep the rest."""

    def __init__(self, folder, seed: int):
        self.folder, self.rng = folder, random.Random(seed)
        self.version: dict[str, int] = {}
        self.paragraphs: dict[str, list[str]] = {}
        folder.mkdir()
        for i in range(N_FILES):
            self.add(f"doc{i:02d}.txt")

    def add(self, name: str) -> str:
        place = PLACES[len(self.version) % len(PLACES)]
        self.paragraphs[name] = [_paragraph(self.rng, place) for _ in range(self.rng.randint(25, 40))]
        self.version[name] = 0
        self.write(name)
        return name

    def marker(self, name: str, version: int | None = None) -> str:
        v = self.version[name] if version is None else version
        return f"版本标记{name[:-4]}第{v}版修订"

    def write(self, name: str) -> None:
        body = [f"{self.marker(name)}：本文件为测试资料。"] + self.paragraphs[name]
        (self.folder / name).write_text("\n\n".join(body), encoding="utf-8")

    def change(self) -> list[str]:
        names = self.rng.sample(sorted(self.version), self.rng.randint(1, 2))
        for name in names:
            paras = self.paragraphs[name]
            paras[self.rng.randrange(len(paras))] = _paragraph(self.rng, "常州")
            self.version[name] += 1
            self.write(name)
        return names


# A fork server: imports the package once, then forks one `kb ingest` per request, so that a run starts at once and
# the random kill points fall inside the ingest rather than inside Python's start-up (2-3 s of imports per process).
FORK_SERVER = r"""
import os, sys, traceback
import cli.main as cli, kb.library, kb.vectors, kb.embeddings, chromadb, bm25s, jieba
from hash_embedding import register
register()
print("ready", flush=True)
for line in sys.stdin:
    out_path, *argv = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            rc = cli.main(argv)
        except BaseException:
            traceback.print_exc()
            rc = 99
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc or 0)
    print("pid", pid, flush=True)
    print("rc", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class IngestRunner:
    """`kb ingest FOLDER` (the CLI's main) in a forked child of the fork server; kill() sends it SIGKILL."""

    def __init__(self, data_dir, folder):
        env = {"KB_DATA_DIR": str(data_dir), "KB_EMBED_BACKEND": "hash", "PATH": "/usr/bin:/bin",
               "HOME": str(data_dir.parent), "ANONYMIZED_TELEMETRY": "False", "PYTHONPATH": str(TESTS)}
        self.folder, self.out = folder, data_dir.parent / "ingest.out"
        self.server = subprocess.Popen([sys.executable, "-c", FORK_SERVER], cwd=ROOT, env=env, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.server.stdout.readline().strip() == "ready"
        self.pid, self.done, self.rc = 0, threading.Event(), None

    def start(self) -> None:
        self.done.clear()
        self.server.stdin.write(f"{self.out}\tingest\t-q\t{self.folder}\n")
        self.server.stdin.flush()
        self.pid = int(self.server.stdout.readline().split()[1])
        threading.Thread(target=self._reap, daemon=True).start()

    def _reap(self) -> None:
        self.rc = int(self.server.stdout.readline().split()[1])
        self.done.set()

    def finish(self, kill: bool = False) -> int:
        if kill and not self.done.is_set():
            os.kill(self.pid, signal.SIGKILL)
        assert self.done.wait(120), "ingest did not finish"
        return self.rc

    def output(self) -> str:
        return self.out.read_text(encoding="utf-8")

    def close(self) -> None:
        self.server.stdin.close()
        self.server.wait(timeout=30)


def _wait_staged(data_dir, name: str, run: IngestRunner, timeout: float = 30) -> None:
    """Until the writer has staged a new version of `name` (a read-only look at the catalog; WAL never blocks it)."""
    db = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True, timeout=5)
    end = time.monotonic() + timeout
    try:
        while not run.done.is_set() and time.monotonic() < end:
            if db.execute("SELECT 1 FROM documents WHERE doc_id = ?", (STAGING_PREFIX + name,)).fetchone():
                return
            time.sleep(0.003)
    finally:
        db.close()


def _open(data_dir) -> KnowledgeBase:
    return KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(data_dir)}), embedder=HashEmbedding())


def _interrupted_state(kb) -> str:
    """What the kill left behind, before any repair (only for the summary)."""
    ready = kb.catalog.chunk_ids()
    parts = []
    if kb.catalog.staged():
        parts.append("staged")
    chroma = kb.vectors.ids()
    if chroma - set(ready):
        parts.append("chroma-extra")
    if set(ready) - chroma:
        parts.append("chroma-missing")
    if set(kb.bm25.stored_ids()) != set(ready):
        parts.append("bm25-stale")
    return "+".join(parts) or "clean"


def _check_reader(kb, corpus) -> None:
    """A reader in the interrupted state: queries work and every hit is a published chunk with its published text."""
    ready = {r["chunk_id"]: r for r in kb.catalog.all_chunks("c.chunk_id, c.doc_id, c.text")}
    for name in list(corpus.version)[:3]:
        for hit in kb.search(f"{corpus.marker(name)} 高新技术企业 研发投入", top_k=8):
            row = ready.get(hit.chunk_id)
            assert row is not None, f"reader saw an unpublished chunk {hit.chunk_id}"
            assert (row["doc_id"], row["text"]) == (hit.doc_id, hit.text)


def _check_consistent(kb, corpus) -> None:
    catalog_ids = kb.catalog.chunk_ids()
    assert len(catalog_ids) == len(set(catalog_ids)), "duplicate chunk ids in the catalog"
    bm25_ids = kb.bm25.stored_ids()
    assert len(bm25_ids) == len(set(bm25_ids)), "duplicate chunk ids in BM25"
    assert set(catalog_ids) == kb.vectors.ids() == set(bm25_ids)
    assert kb.catalog.staged() == []
    docs = {d.doc_id: d for d in kb.catalog.documents()}
    assert set(docs) == set(corpus.version), "a document was lost or invented"
    assert sum(d.n_chunks for d in docs.values()) == len(catalog_ids)
    for name, version in corpus.version.items():
        assert docs[name].content_hash and docs[name].n_chunks > 0
        hits = kb.search(corpus.marker(name), top_k=3, filters=Filters(doc_ids=(name,)))
        assert hits and corpus.marker(name) in hits[0].text, name
        stale = [corpus.marker(name, v) for v in range(version)]
        assert not any(m in h.text for h in hits for m in stale), f"{name}: an old version is still visible"


def test_sigkill_during_ingest_then_resume(tmp_path):
    started = time.monotonic()
    rng = random.Random(20240605)
    corpus = Corpus(tmp_path / "files", seed=7)
    data_dir = tmp_path / "kbdata"

    # A first complete run through the CLI: the baseline, and how long a full ingest takes here.
    run = IngestRunner(data_dir, corpus.folder)
    t0 = time.monotonic()
    run.start()
    assert run.finish() == 0, run.output()
    full_run = time.monotonic() - t0
    kb = _open(data_dir)
    _check_consistent(kb, corpus)

    states: collections.Counter = collections.Counter()
    for cycle in range(CYCLES):
        changed = corpus.change()
        if cycle % 5 == 2:
            changed.append(corpus.add(f"new{cycle:02d}.txt"))
        kb.close()                                   # no Chroma client open here while the writer runs
        run.start()
        if rng.random() < 0.25:                      # anywhere: start-up, repair of an earlier kill, any file
            time.sleep(rng.uniform(0.0, full_run))
        else:                                        # once one changed file is staged: its publish steps
            _wait_staged(data_dir, rng.choice(changed), run)
            time.sleep(rng.uniform(0.0, 0.15))
        killed = run.finish(kill=True) == -signal.SIGKILL

        states[_interrupted_state(kb) if killed else "finished-before-kill"] += 1
        _check_reader(kb, corpus)
        if cycle % 4 == 1 and cycle < CYCLES - 1:
            continue                                 # leave the damage: the next run repairs it (and may be killed)
        events = list(kb.ingest([corpus.folder]))    # resume in-process (the CLI is a thin adapter over this)
        assert not [e.message for e in events if e.failed]
        _check_consistent(kb, corpus)

    # A final run through the CLI: nothing left to do, exit 0.
    kb.close()
    run.start()
    assert run.finish() == 0, run.output()
    run.close()
    out = run.output()
    assert "[失败]" not in out and out.count("[未变化]") == len(corpus.version)
    _check_consistent(kb, corpus)
    kb.close()
    print(f"\n{CYCLES} cycles in {time.monotonic() - started:.1f} s (full ingest {full_run:.2f} s); "
          f"states left by the kills: {dict(states)}")
