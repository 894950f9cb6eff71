"""Issue 15: nothing a file, a question or a failing disk does takes the knowledge base down or leaves it stuck.

Real files, real Chroma and BM25 in a temp data dir; the hash embedder (KB_EMBED_BACKEND=hash) stands in for the model.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cli.main import main
from kb.errors import KBError
from kb.library import KnowledgeBase
from kb.retrieve import Filters
from kb.settings import load_settings

from conftest import KB_CLI, TESTS, HashEmbedding, pdf_pages

A_TEXT = "常州科教城获评中国最佳创业园区第一名。\n\n科教城集聚各类研发机构，孵化科技企业超过三千家。"


@pytest.fixture
def cli(monkeypatch, data_dir, capsys):
    monkeypatch.setenv("KB_EMBED_BACKEND", "hash")

    def run(*argv) -> tuple[int, str, str]:
        rc = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return rc, out, err
    return run


def _kb(**env) -> KnowledgeBase:
    return KnowledgeBase(load_settings(env={**_env(), **env}), embedder=HashEmbedding())


def _env() -> dict:
    import os
    return {k: v for k, v in os.environ.items() if k.startswith("KB_")}


@pytest.fixture
def small(tmp_path, data_dir):
    """One document indexed in-process; returns its folder."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(A_TEXT, encoding="utf-8")
    events = list(_kb().ingest([folder]))
    assert [e.status for e in events] == ["ok"], [e.message for e in events]
    return folder


# -- 1. questions ------------------------------------------------------------------------------------------------

@pytest.mark.integration
def test_a_huge_question_is_refused_at_once(small):
    kb = _kb()
    question = "常州科教城" * 2000                                    # 10,000 characters
    for call in (kb.search, kb.ask):
        started = time.perf_counter()
        with pytest.raises(KBError, match=r"^问题过长（10000 字），请控制在 500 字以内$"):
            call(question)
        assert time.perf_counter() - started < 1.0
    assert kb.search("科教城 研发机构", top_k=1)                        # still answering


@pytest.mark.integration
def test_the_question_limit_is_a_setting(small):
    kb = _kb(KB_MAX_QUESTION_CHARS="5")
    with pytest.raises(KBError, match="请控制在 5 字以内"):
        kb.search("科教城研发机构")


@pytest.mark.integration
def test_batch_reports_bad_lines_and_goes_on(tmp_path, small, cli):
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "ok1", "question": "科教城孵化了多少科技企业？"}, ensure_ascii=False),
        '{"id": "broken", "question": ',                            # truncated JSON
        json.dumps({"id": "nq"}),                                    # no question
        json.dumps({"id": "long", "question": "科" * 600}, ensure_ascii=False),
        "",
        json.dumps({"id": "ok2", "question": "科教城获评什么？"}, ensure_ascii=False),
    ]), encoding="utf-8")
    for command in ("ask", "search"):
        rc, out, err = cli(command, "--batch", batch)
        lines = [json.loads(line) for line in out.splitlines()]
        assert [line["id"] for line in lines] == ["ok1", 2, "nq", "long", "ok2"], out
        assert rc == 1 and not err
        assert "第 2 行不是有效的问题" in lines[1]["error"] and "第 3 行" in lines[2]["error"]
        assert lines[3]["error"] == "问题过长（600 字），请控制在 500 字以内"
        assert "error" not in lines[0] and "error" not in lines[4]


# -- 2. document identity ----------------------------------------------------------------------------------------

def _two_notices(tmp_path) -> Path:
    folder = tmp_path / "notices"
    for year, text in (("2022", "2022年度科技计划项目申报通知：溧阳市动力电池项目申报截止日期为三月底。"),
                       ("2023", "2023年度科技计划项目申报通知：金坛区光伏项目申报截止日期为五月底。")):
        (folder / year).mkdir(parents=True)
        (folder / year / "通知.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.integration
def test_same_name_in_two_folders_are_two_documents(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("KB_CORPUS_DIR", str(tmp_path / "no-corpus"))     # --all: only the catalogued files
    folder = _two_notices(tmp_path)
    rc, out, _ = cli("ingest", "-q", folder)
    assert rc == 0 and "[成功] 2022/通知.txt：" in out and "[成功] 2023/通知.txt：" in out, out
    kb = _kb()
    assert {d.doc_id: d.source for d in kb.documents()} == {"2022/通知.txt": "通知.txt",
                                                                   "2023/通知.txt": "通知.txt"}
    for doc_id, words in (("2022/通知.txt", "动力电池"), ("2023/通知.txt", "光伏")):
        hits = kb.search(f"{words}项目申报截止", top_k=1, filters=Filters(doc_ids=(doc_id,)))
        assert hits and words in hits[0].text and hits[0].doc_id == doc_id
    assert cli("ingest", "-q", folder)[1].count("[未变化]") == 2

    rc, out, _ = cli("ingest", "-q", "--all")                      # each catalogued file given directly
    assert rc == 0 and out.count("[未变化]") == 2 and out.count("\n") == 3, out
    (folder / "2023" / "通知.txt").write_text("2023年度通知已修订：金坛区光伏项目延期。", encoding="utf-8")
    rc, out, _ = cli("ingest", "-q", "--all")
    assert rc == 0 and "[成功] 通知.txt" in out, out
    assert sorted(d.doc_id for d in _kb().documents()) == ["2022/通知.txt", "2023/通知.txt"]

    rc, _, err = cli("remove", "通知.txt")
    assert rc == 1 and "“通知.txt”对应 2 个文档（2022/通知.txt、2023/通知.txt），请用文档编号指定" in err, err
    rc, out, _ = cli("remove", "2022/通知.txt")
    assert rc == 0 and [d.doc_id for d in _kb().documents()] == ["2023/通知.txt"]
    assert cli("remove", "通知.txt")[0] == 0 and _kb().documents() == []       # unambiguous now


@pytest.mark.integration
def test_bare_name_ids_from_older_data_dirs_keep_working(tmp_path, cli):
    """Files given one by one get their bare name; a second 通知.txt elsewhere does not replace the first, and
    ingesting the folder later finds both under the ids they already have."""
    folder = _two_notices(tmp_path)
    assert cli("ingest", "-q", folder / "2022" / "通知.txt")[0] == 0
    assert [d.doc_id for d in _kb().documents()] == ["通知.txt"]              # the old, bare-name id
    rc, out, _ = cli("ingest", "-q", folder / "2023" / "通知.txt")
    assert rc == 0 and "[成功]" in out
    assert sorted(d.doc_id for d in _kb().documents()) == ["2023/通知.txt", "通知.txt"]
    rc, out, _ = cli("ingest", "-q", folder)
    assert rc == 0 and out.count("[未变化]") == 2, out
    (folder / "2022" / "通知.txt").write_text("2022年度通知已修订：溧阳市动力电池项目延期至六月底。", encoding="utf-8")
    rc, out, _ = cli("ingest", "-q", folder)
    assert rc == 0 and "[成功] 2022/通知.txt" in out
    kb = _kb()
    assert sorted(d.doc_id for d in kb.documents()) == ["2023/通知.txt", "通知.txt"]
    hits = kb.search("动力电池项目延期", top_k=1, filters=Filters(doc_ids=("通知.txt",)))
    assert hits and "六月底" in hits[0].text


# -- 3. parsing under limits -------------------------------------------------------------------------------------

GB = 1 << 30


def _docx_bomb(path: Path) -> None:
    """A zip whose word/document.xml inflates to 1 GB of one repeated byte (about 1 MB on disk)."""
    import zipfile
    chunk = b"<w:t>" + b"A" * ((1 << 20) - 5)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(GB // len(chunk)):
                member.write(chunk)


def _gigabyte_deflated() -> bytes:
    """1 GB of PDF text operators, deflated (about 2.5 MB)."""
    import zlib
    deflater = zlib.compressobj(9)
    chunk = b"BT /F1 12 Tf (A) Tj ET\n" * 45590                      # about 1 MB of operators
    return b"".join(deflater.compress(chunk) for _ in range(GB // len(chunk))) + deflater.flush()


def _pdf_bomb(path: Path, body: bytes, filters: str = "/FlateDecode") -> None:
    """A one-page PDF whose content stream is body (with the given /Filter)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length %d /Filter %s >>\nstream\n" % (len(body), filters.encode()) + body + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


@pytest.fixture(scope="session")
def bombs(tmp_path_factory) -> Path:
    import zlib
    folder = tmp_path_factory.mktemp("bombs")
    _docx_bomb(folder / "bomb.docx")
    body = _gigabyte_deflated()
    _pdf_bomb(folder / "bomb.pdf", body)
    _pdf_bomb(folder / "twice.pdf", zlib.compress(body, 9), "[/FlateDecode /FlateDecode]")   # about 10 KB
    return folder


def _stores(kb: KnowledgeBase) -> tuple:
    return (sorted(kb.catalog.chunk_ids()), sorted(kb.vectors.ids()), sorted(kb.bm25.stored_ids()))


def _ingest_measured(paths, data_dir, tmp_path, **env) -> tuple[int, str, float, int]:
    """`kb ingest` in a fresh process: (exit status, output, seconds, peak RSS in bytes of it and its workers)."""
    import subprocess
    import sys
    probe = ("import resource, subprocess, sys, time; t = time.monotonic(); "
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(p.returncode, time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "print(p.stdout + p.stderr)")
    environ = {"KB_DATA_DIR": str(data_dir), "KB_EMBED_BACKEND": "hash", "PATH": "/usr/bin:/bin",
               "HOME": str(tmp_path), "ANONYMIZED_TELEMETRY": "False", **env}
    done = subprocess.run([sys.executable, "-c", probe, sys.executable, str(KB_CLI), "ingest", "-q",
                           *map(str, paths)], capture_output=True, text=True, env=environ, timeout=120)
    first, _, output = done.stdout.partition("\n")
    rc, seconds, peak_kb = first.split()
    return int(rc), output, float(seconds), int(peak_kb) * 1024


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("name", ["bomb.docx", "bomb.pdf", "twice.pdf"])
def test_a_compression_bomb_is_refused_quickly_in_little_memory(name, bombs, small, data_dir, tmp_path):
    before = _stores(_kb())
    rc, out, seconds, peak = _ingest_measured([bombs / name], data_dir, tmp_path)
    assert rc == 1 and out.startswith(f"[失败] {name}：文件解压后超过 200 MB，疑似压缩炸弹，已拒绝"), out
    assert seconds < 15 and peak < GB, (seconds, peak)
    assert _stores(_kb()) == before


@pytest.mark.integration
@pytest.mark.slow
def test_a_runaway_parse_is_stopped_by_the_memory_ceiling(bombs, small, data_dir, tmp_path):
    """With the size check out of the way, pdfminer inflates the bomb itself: the worker's RLIMIT_AS stops it."""
    before = _stores(_kb())
    rc, out, seconds, peak = _ingest_measured([bombs / "bomb.pdf", small / "a.txt"], data_dir, tmp_path,
                                              KB_MAX_INFLATED_MB="100000", KB_PARSE_MEMORY_MB="400")
    assert rc == 1 and out.startswith("[失败] bomb.pdf："), out
    assert "[未变化] a.txt" in out                                     # the batch went on
    assert seconds < 15 and peak < GB, (seconds, peak)
    assert _stores(_kb()) == before


@pytest.mark.integration
@pytest.mark.slow
def test_a_parse_past_the_timeout_is_killed_and_the_batch_goes_on(bombs, small, cli, monkeypatch):
    monkeypatch.setenv("KB_MAX_INFLATED_MB", "100000")
    monkeypatch.setenv("KB_PARSE_TIMEOUT", "0.3")
    (small / "b.txt").write_text("武进区建设智能制造示范工厂十家。", encoding="utf-8")
    before = _stores(_kb())
    started = time.monotonic()
    rc, out, _ = cli("ingest", "-q", bombs / "bomb.pdf", small / "b.txt")
    assert time.monotonic() - started < 15
    assert rc == 1 and out.startswith("[失败] bomb.pdf：解析超时（超过 0.3 秒），已中止"), out
    assert "[成功] b.txt" in out
    assert set(before[0]) < set(_stores(_kb())[0])


@pytest.mark.integration
def test_zip_member_count_limit(tmp_path, small, cli, monkeypatch):
    import zipfile
    monkeypatch.setenv("KB_MAX_ZIP_MEMBERS", "10")
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        for i in range(20):
            zf.writestr(f"word/media/{i}.bin", b"x")
    rc, out, _ = cli("ingest", "-q", path)
    assert rc == 1 and out.startswith("[失败] many.docx：压缩包内文件过多（21 个，上限 10），已拒绝"), out


@pytest.mark.integration
def test_pdf_page_limit(tmp_path, small, cli, monkeypatch):
    monkeypatch.setenv("KB_MAX_PDF_PAGES", "3")
    path = pdf_pages(tmp_path / "long.pdf", [[f"page {i}"] for i in range(5)])
    rc, out, _ = cli("ingest", "-q", path)
    assert rc == 1 and out.startswith("[失败] long.pdf：PDF 页数过多（约 5 页，上限 3），已拒绝"), out


# -- 4. self-healing derived state -------------------------------------------------------------------------------

def _two_docs(tmp_path) -> Path:
    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "a.txt").write_text(A_TEXT, encoding="utf-8")
    (folder / "policy.txt").write_text("第一条 对首次认定的高新技术企业奖励20万元。\n\n第二条 对再次认定的高新技术企业"
                                       "奖励10万元。", encoding="utf-8")
    return folder


@pytest.fixture
def indexed(tmp_path, cli):
    folder = _two_docs(tmp_path)
    assert cli("ingest", "-q", folder)[0] == 0
    return folder


def _consistent(kb: KnowledgeBase) -> bool:
    catalog, chroma, bm25 = _stores(kb)
    return bool(catalog) and catalog == chroma == bm25


def _bm25_ids_file(data_dir: Path) -> Path:
    return data_dir / "bm25" / (data_dir / "bm25" / "current").read_text().strip() / "ids.json"


@pytest.mark.integration
def test_damaged_bm25_files_are_rebuilt_on_open_and_by_repair(indexed, data_dir, cli):
    _bm25_ids_file(data_dir).write_bytes(b"\x00garbage{")
    kb = _kb()
    hits = kb.search("首次认定高新技术企业奖励", top_k=1)          # no traceback; rebuilt on the way
    assert hits and "20万元" in hits[0].text and "bm25" in hits[0].found_by
    assert kb.bm25.problem() is None and _consistent(_kb())

    _bm25_ids_file(data_dir).write_text('["x"]', encoding="utf-8")        # valid JSON, wrong length
    rc, out, err = cli("repair")
    assert rc == 0 and "BM25 索引文件损坏" in out and "已从目录重建" in out, out + err
    assert _consistent(_kb())


@pytest.mark.integration
def test_tokens_cut_by_an_older_tokenizer_are_cut_again(indexed, data_dir, cli):
    """An index from before a tokenizer change (an upgrade) is re-tokenized by repair and by the next ingest."""
    import sqlite3
    db = sqlite3.connect(data_dir / "catalog.sqlite")
    with db:       # as an older version left it: other tokens, and no record of the tokenizer
        db.execute("UPDATE chunks SET tokens = 'x'")
        db.execute("DELETE FROM meta")
    db.close()
    rc, out, _ = cli("repair", "--dry-run")
    assert rc == 0 and "将按新规则重建全文索引" in out, out
    rc, out, _ = cli("repair")
    assert rc == 0 and "已按新规则重建全文索引" in out, out
    kb = _kb()
    hits = kb.search("首次认定高新技术企业奖励", top_k=1)
    assert hits and "bm25" in hits[0].found_by and "20万元" in hits[0].text
    assert kb.catalog.meta("tokenizer") == kb.tokenizer.fingerprint and _consistent(kb)
    rc, out, _ = cli("repair")
    assert rc == 0 and "分词" not in out        # once only


def _empty_the_catalog(data_dir: Path) -> None:
    import sqlite3
    db = sqlite3.connect(data_dir / "catalog.sqlite")
    with db:
        db.execute("DELETE FROM chunks")
        db.execute("DELETE FROM documents")
    db.close()


@pytest.mark.integration
def test_an_emptied_catalog_is_rebuilt_from_the_manifest(indexed, data_dir, cli):
    before = _stores(_kb())
    _empty_the_catalog(data_dir)
    rc, out, _ = cli("repair", "--dry-run")
    assert rc == 0 and out.startswith("检查结果（未做任何修改）") and "将从清单恢复 2 个文档：a.txt、policy.txt" in out, out
    assert "将删除多余向量 0 个" in out
    assert _kb().documents() == [] and sorted(_kb().vectors.ids()) == before[1]     # nothing changed

    rc, out, _ = cli("repair")
    assert rc == 0 and "已从清单恢复 2 个文档" in out and "已删除多余向量 0 个" in out, out
    kb = _kb()
    assert _stores(kb) == before
    hits = kb.search("首次认定高新技术企业奖励", top_k=1)
    assert hits and hits[0].doc_id == "policy.txt" and hits[0].title


@pytest.mark.integration
def test_an_unreadable_catalog_is_set_aside_and_rebuilt(indexed, data_dir, cli):
    import sqlite3
    before = _stores(_kb())
    catalog = data_dir / "catalog.sqlite"
    db = sqlite3.connect(catalog)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = catalog.read_bytes()
    catalog.write_bytes(data[:4096] + b"\xff" * (len(data) // 2 - 4096))   # truncated, pages overwritten
    rc, out, _ = cli("repair", "--dry-run")
    assert rc == 0 and "目录数据库无法读取" in out and "2 个文档可恢复" in out, out
    rc, out, _ = cli("repair")
    assert rc == 0 and "已移至 catalog.sqlite.damaged-" in out and "已从清单恢复 2 个文档" in out, out
    assert list(data_dir.glob("catalog.sqlite.damaged-*"))
    assert _stores(_kb()) == before


@pytest.mark.integration
def test_repair_never_deletes_vectors_for_an_empty_catalog(indexed, data_dir, cli):
    import shutil
    before = _stores(_kb())
    _empty_the_catalog(data_dir)
    shutil.rmtree(data_dir / "manifest")                                  # as in a data dir from before manifests
    rc, out, _ = cli("repair")
    assert rc == 0 and "未删除这些向量" in out, out
    assert sorted(_kb().vectors.ids()) == before[1]


@pytest.mark.integration
def test_manifests_follow_publish_remove_and_older_data_dirs(indexed, data_dir, cli):
    import shutil
    names = lambda: sorted(p.name for p in (data_dir / "manifest").glob("*.json"))   # noqa: E731
    assert len(names()) == 2
    (indexed / "a.txt").write_text(A_TEXT + "\n\n科教城新增国家级孵化器两家。", encoding="utf-8")
    assert cli("ingest", "-q", indexed)[0] == 0
    assert len(names()) == 2                                               # the old version's file replaced
    assert cli("remove", "a.txt")[0] == 0 and len(names()) == 1
    shutil.rmtree(data_dir / "manifest")
    rc, out, _ = cli("repair")
    assert rc == 0 and "已写入文档清单 1 个" in out and len(names()) == 1


@pytest.mark.unit
def test_damaged_cached_vectors_are_recomputed(data_dir):
    import sqlite3
    import numpy as np
    from kb.embeddings import EmbeddingCache
    path = data_dir / "embed_cache.sqlite"
    texts = [f"常州市第{i}批科技计划项目立项名单公布。" for i in range(5)]
    expected = HashEmbedding().get_text_embedding_batch(texts)
    assert HashEmbedding().attach_cache(EmbeddingCache(path)).get_text_embedding_batch(texts) == expected
    keys = [EmbeddingCache.key(HashEmbedding().model_name, t) for t in texts]
    db = sqlite3.connect(path)
    with db:
        for key, blob in zip(keys, (np.full(64, np.nan, np.float32).tobytes(), b"\x01\x02\x03",
                                    np.ones(7, np.float32).tobytes(), np.zeros(64, np.float32).tobytes())):
            db.execute("UPDATE vectors SET vec = ? WHERE key = ?", (blob, key))
    db.close()
    cache = EmbeddingCache(path)
    assert set(cache.get_many(keys)) == {keys[2], keys[4]}                 # NaN, torn, zero: missing
    vectors = HashEmbedding().attach_cache(cache).get_text_embedding_batch(texts)
    assert vectors == expected                                             # the 7-long one recomputed too
    assert cache.get_many(keys) == dict(zip(keys, expected))               # written back, sound


@pytest.mark.integration
def test_an_unreadable_embedding_cache_is_set_aside(indexed, data_dir, tmp_path):
    path = data_dir / "embed_cache.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    (indexed / "new.txt").write_text("钟楼区推动老工业区转型升级。", encoding="utf-8")
    # A new process: SQLite shares a file's WAL index among the connections of one process, so this one would
    # still read the pages the fixture's open connections know.
    rc, out, _, _ = _ingest_measured([indexed], data_dir, tmp_path)
    assert rc == 0 and "[成功] new.txt" in out, out
    assert list(data_dir.glob("embed_cache.sqlite.damaged-*"))
    assert _consistent(_kb())


# -- 5. no traceback reaches a user ------------------------------------------------------------------------------

@pytest.mark.integration
def test_an_unexpected_failure_is_one_line_and_a_log(indexed, data_dir, cli):
    import shutil
    shutil.rmtree(data_dir / "bm25")
    (data_dir / "bm25").write_text("not a folder", encoding="utf-8")          # BM25 can no longer be written
    (indexed / "new.txt").write_text("钟楼区推动老工业区转型升级。", encoding="utf-8")
    rc, out, err = cli("ingest", "-q", indexed)
    log = data_dir / "logs" / "kb-errors.log"
    assert rc == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("错误：发生意外错误（") and f"详细信息已写入 {log}" in err
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")


@pytest.mark.integration
def test_a_malformed_catalog_on_a_query_points_to_repair(indexed, data_dir, cli):
    import sqlite3
    catalog = data_dir / "catalog.sqlite"
    db = sqlite3.connect(catalog)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = catalog.read_bytes()
    catalog.write_bytes(data[:4096] + b"\xff" * (len(data) - 4096))
    for command in (("status",), ("search", "科教城"), ("ask", "科教城孵化了多少企业？")):
        rc, out, err = cli(*command)
        assert rc == 1 and err.startswith("错误：") and err.count("\n") == 1, err
        assert "kb repair" in err and "Traceback" not in err, err


@pytest.mark.unit
def test_environment_failures_have_their_own_messages():
    import errno
    import sqlite3
    from cli.failures import describe
    assert describe(OSError(errno.ENOSPC, "No space left on device", "/data/kb/catalog.sqlite")) == \
        "磁盘空间不足（/data/kb/catalog.sqlite），请清理磁盘后重试"
    assert describe(PermissionError(errno.EACCES, "Permission denied", "/data/kb")).startswith("没有权限访问（/data/kb）")
    assert "只读" in describe(OSError(errno.EROFS, "Read-only file system", "/data/kb"))
    assert "kb repair" in describe(sqlite3.DatabaseError("database disk image is malformed"))
    assert "磁盘空间不足" in describe(sqlite3.OperationalError("database or disk is full"))
    assert "只读" in describe(sqlite3.OperationalError("attempt to write a readonly database"))
    assert describe(ValueError("x")) is None


@pytest.mark.integration
def test_a_file_name_that_is_not_utf8_is_reported_and_the_batch_goes_on(tmp_path, cli):
    import os
    folder = tmp_path / "mixed"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), "测试".encode("gbk") + b".txt"), "wb") as fh:   # a GBK name
        fh.write("常州市科技局发布通知。".encode("utf-8"))
    (folder / "good.txt").write_text("钟楼区推动老工业区转型升级。", encoding="utf-8")
    rc, out, err = cli("ingest", "-q", folder)
    assert rc == 1 and "[成功] good.txt" in out and not err, out + err
    assert "文件名不是有效的 UTF-8 编码，无法索引，请重命名后重试" in out
    assert [d.doc_id for d in _kb().documents()] == ["good.txt"]


@pytest.mark.integration
@pytest.mark.parametrize("command", [("status",), ("search", "科教城"), ("ask", "科教城孵化了多少企业？"),
                                     ("remove", "a.txt"), ("repair",)])
def test_a_missing_data_dir_is_an_error_not_a_new_knowledge_base(command, tmp_path, cli, monkeypatch):
    missing = tmp_path / "no-such-kb"
    monkeypatch.setenv("KB_DATA_DIR", str(missing))
    rc, out, err = cli(*command)
    assert rc == 1 and err == f"错误：数据目录不存在：{missing}（请先用 kb ingest 建立知识库，或检查 KB_DATA_DIR）\n", err
    assert not missing.exists()


# -- 6. metadata.toml, backup and restore ------------------------------------------------------------------------

@pytest.mark.integration
def test_metadata_toml_changes_apply_on_the_next_ingest(tmp_path, cli):
    folder = _two_docs(tmp_path)
    meta = folder / "metadata.toml"
    meta.write_text('["a.txt"]\ntitle = "科教城简报"\ndate = "2023-05"\nkind = "news"\n', encoding="utf-8")
    assert cli("ingest", "-q", folder)[0] == 0
    assert _kb().catalog.document("a.txt").title == "科教城简报"
    meta.write_text('["a.txt"]\ntitle = "科教城简报（修订）"\ndate = "2023-06"\nkind = "news"\n', encoding="utf-8")
    rc, out, _ = cli("ingest", "-q", folder)
    assert rc == 0 and "[成功] a.txt" in out and "[未变化] policy.txt" in out, out
    kb = _kb()
    assert (kb.catalog.document("a.txt").title, kb.catalog.document("a.txt").date) == ("科教城简报（修订）", "2023-06")
    hits = kb.search("科教城 研发机构", top_k=1, filters=Filters(date_from="2023-06", date_to="2023-06"))
    assert hits and hits[0].doc_id == "a.txt" and hits[0].title == "科教城简报（修订）"
    assert cli("ingest", "-q", folder)[1].count("[未变化]") == 2

    meta.write_text('["a.txt"\ntitle = ', encoding="utf-8")                 # broken TOML: per file, no crash
    rc, out, err = cli("ingest", "-q", folder)
    assert rc == 1 and "metadata.toml 格式有误" in out and not err, out + err
    assert _kb().catalog.document("a.txt").title == "科教城简报（修订）"


def _stores_elsewhere(data_dir: Path) -> tuple:
    """The stores as a new process sees them (Chroma keeps one in-memory system per path and process, which a
    swapped-in data dir would not replace)."""
    import subprocess
    import sys
    code = ("import json; from kb.library import KnowledgeBase; from kb.settings import load_settings; "
            "from hash_embedding import HashEmbedding; "
            "kb = KnowledgeBase(load_settings(), embedder=HashEmbedding(), create=False); "
            "print(json.dumps([sorted(kb.catalog.chunk_ids()), sorted(kb.vectors.ids()), sorted(kb.bm25.stored_ids()),"
            " [d.doc_id for d in kb.documents()]]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"KB_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", "ANONYMIZED_TELEMETRY": "False",
                               "PYTHONPATH": str(TESTS)})
    assert done.returncode == 0, done.stderr
    catalog, chroma, bm25, docs = json.loads(done.stdout)
    return catalog, chroma, bm25, sorted(docs)


@pytest.mark.integration
@pytest.mark.parametrize("suffix", [".tar", ".tar.gz"])
def test_backup_and_restore(suffix, tmp_path, indexed, data_dir, cli, monkeypatch):
    before = _stores(_kb()) + (["a.txt", "policy.txt"],)
    archive = tmp_path / f"kb{suffix}"
    rc, out, _ = cli("backup", archive)
    assert rc == 0 and out.startswith("已备份 ") and archive.is_file(), out
    assert cli("remove", "a.txt")[0] == 0

    rc, _, err = cli("restore", archive)
    assert rc == 1 and "不为空" in err and "--force" in err
    rc, out, err = cli("restore", archive, "--force")
    assert rc == 0 and "已从" in out and "2 个文档" in out and "原数据目录已保留为" in out, out + err
    assert _stores_elsewhere(data_dir) == before
    assert len(list(tmp_path.glob("kbdata.before-restore-*"))) == 1

    fresh = tmp_path / "elsewhere"                                           # into a data dir that does not exist
    monkeypatch.setenv("KB_DATA_DIR", str(fresh))
    rc, out, err = cli("restore", archive)
    assert rc == 0 and "原数据目录" not in out, out + err
    assert _stores_elsewhere(fresh) == before


@pytest.mark.integration
def test_restore_refuses_what_is_not_a_backup(tmp_path, cli):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all" * 50)
    rc, _, err = cli("restore", junk)
    assert rc == 1 and "不是有效的备份文件" in err, err
    import tarfile
    empty = tmp_path / "empty.tar"
    with tarfile.open(empty, "w") as tar:
        (tmp_path / "x.txt").write_text("x")
        tar.add(tmp_path / "x.txt", arcname="x.txt")
    rc, _, err = cli("restore", empty)
    assert rc == 1 and "没有可读的目录数据库" in err, err
    assert cli("backup", tmp_path / "kbdata" / "inside.tar")[0] == 1


def _read_only_mount_works(tmp_path) -> bool:
    import shutil
    import subprocess
    if not shutil.which("unshare"):
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    done = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {probe} {probe} && "
                           f"mount -o remount,bind,ro {probe} && ! touch {probe}/x"], capture_output=True)
    return done.returncode == 0


@pytest.mark.integration
def test_a_read_only_data_dir_answers_questions(tmp_path, indexed, data_dir):
    """The data dir on a read-only mount (a private mount namespace: root ignores file modes): questions work,
    writes say why they cannot, nothing is written."""
    import shlex
    import subprocess
    import sys
    if not _read_only_mount_works(tmp_path):
        pytest.skip("no private read-only mount here (needs root and unshare)")
    listing = sorted((str(p), p.stat().st_mtime_ns) for p in data_dir.rglob("*"))
    kb = [shlex.quote(sys.executable), shlex.quote(str(KB_CLI))]
    script = " && ".join([f"mount --bind {data_dir} {data_dir}", f"mount -o remount,bind,ro {data_dir}",
                          " ".join(kb + ["search", "科教城研发机构", "--json"]),
                          " ".join(kb + ["ask", "科教城孵化了多少科技企业？", "--json"]),
                          " ".join(kb + ["status"]),
                          "! " + " ".join(kb + ["ingest", "-q", str(indexed)]),
                          "! " + " ".join(kb + ["remove", "a.txt"])])
    env = {"KB_DATA_DIR": str(data_dir), "KB_EMBED_BACKEND": "hash", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
           "HOME": str(tmp_path), "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env,
                          timeout=180, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    search, ask = (json.loads(line) for line in done.stdout.splitlines()[:2])
    assert search["hits"] and search["hits"][0]["doc_id"] == "a.txt"
    assert ask["citations"] and "三千家" in json.dumps(ask, ensure_ascii=False)
    assert done.stderr.count("数据目录是只读的") == 2 and "Traceback" not in done.stderr, done.stderr
    assert sorted((str(p), p.stat().st_mtime_ns) for p in data_dir.rglob("*")) == listing


@pytest.mark.integration
def test_a_full_disk_is_one_line_and_the_next_ingest_recovers(tmp_path):
    """The data dir on a 4 MB tmpfs (a private mount namespace): indexing a 1.8 MB text fills it; after the
    disk grows, the same command indexes it and the stores agree."""
    import random
    import shlex
    import subprocess
    import sys
    if not _read_only_mount_works(tmp_path):
        pytest.skip("no private mounts here (needs root and unshare)")
    rng = random.Random(1)
    words = "常州市科技局发布科技创新政策支持高新技术企业发展研发投入孵化器人才"
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join("".join(rng.choice(words) for _ in range(200)) + "。" for _ in range(3000)),
                   encoding="utf-8")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    kb = " ".join([shlex.quote(sys.executable), shlex.quote(str(KB_CLI))])
    script = "; ".join([f"mount -t tmpfs -o size=4m tmpfs {mnt} || exit 9",
                        f"{kb} ingest -q {big}; echo rc=$?",
                        f"mount -o remount,size=64m {mnt}",
                        f"{kb} ingest -q {big}; echo rc=$?",
                        f"{kb} search 科技创新政策 --json --top-k 1 >/dev/null; echo rc=$?",
                        f"{kb} repair"])
    env = {"KB_DATA_DIR": str(mnt / "kb"), "KB_EMBED_BACKEND": "hash", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
           "HOME": str(tmp_path), "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env,
                          timeout=300, cwd=Path(__file__).resolve().parent.parent)
    out, err = done.stdout, done.stderr
    assert "Traceback" not in out + err, out + err
    assert err.splitlines() == ["错误：磁盘空间不足或磁盘读写出错，请清理磁盘后重试"], err
    lines = out.splitlines()
    assert lines[0] == "rc=1" and lines[1].startswith("[成功] big.txt") and "rc=0" in lines[3:5], out
    assert "已删除多余向量 0 个，已补齐向量 0 个，BM25 无需重建" in out, out
