"""Bad input through `kb ingest`: a clear Chinese message per file, a non-zero exit code, and an index left exactly
as it was (documents, catalog chunk ids, Chroma ids, BM25 ids). The CLI's main() runs in-process for speed; one
subprocess run checks the real exit status. Embeddings: the test suite's hash backend (KB_EMBED_BACKEND=hash)."""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from kb.library import KnowledgeBase
from kb.retrieve import Filters
from kb.settings import load_settings

from conftest import KB_CLI, ROOT, HashEmbedding, pdf_pages

pytest.importorskip("reportlab")
from reportlab.lib.pagesizes import A4                      # noqa: E402
from reportlab.pdfgen import canvas                         # noqa: E402

pytestmark = pytest.mark.integration

A_TEXT = "常州科教城获评中国最佳创业园区第一名。\n\n科教城集聚各类研发机构，孵化科技企业超过三千家。"
POLICY_TEXT = "第一条 对首次认定的高新技术企业奖励20万元。\n\n第二条 对再次认定的高新技术企业奖励10万元。"


def _text_pdf(path: Path, encrypt: str | None = None) -> None:
    pdf_pages(path, [[f"常州市科技局发布第{i}条科技创新政策，支持高新技术企业发展。" for i in range(20)]], encrypt)


def _rectangle_pdf(path: Path) -> None:
    c = canvas.Canvas(str(path), pagesize=A4)
    c.rect(100, 100, 300, 400, fill=1)
    c.showPage()
    c.save()


def _truncated_pdf(path: Path) -> None:
    _text_pdf(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _junk(path: Path) -> None:
    rng = random.Random(1)
    path.write_bytes(bytes(rng.randrange(256) for _ in range(4000)))


def _junk_without_nul(path: Path) -> None:
    rng = random.Random(2)
    path.write_bytes(bytes(rng.randrange(1, 256) for _ in range(4000)))


# name → (how to make it, what the message must say)
BAD = {
    "empty.txt": (lambda p: p.write_bytes(b""), "文件为空"),
    "blank.txt": (lambda p: p.write_text(" \n\n\t ", encoding="utf-8"), "文件为空"),
    "scan.pdf": (_rectangle_pdf, "PDF 没有文字层（可能是扫描件），需要先做文字识别（OCR）"),
    "truncated.pdf": (_truncated_pdf, "PDF 文件已损坏或不完整，无法读取"),
    "garbage.pdf": (lambda p: p.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40), "PDF 文件已损坏或不完整"),
    "locked.pdf": (lambda p: _text_pdf(p, encrypt="secret"), "PDF 已加密，无法读取，请提供未加密的版本"),
    "junk.txt": (_junk, "不是文本文件（含二进制内容），无法读取"),
    "junk2.txt": (_junk_without_nul, "无法识别文本编码（支持 UTF-8、GBK/GB18030）"),
    "table.xlsx": (lambda p: p.write_bytes(b"PK\x03\x04junk"), "不支持的文件类型"),
    "fake.docx": (lambda p: p.write_bytes(b"PK\x03\x04junk"), "Word 文档已损坏，无法读取"),
    "missing.txt": (lambda p: None, "文件不存在"),
}


@pytest.fixture
def cli(monkeypatch, data_dir, capsys):
    monkeypatch.setenv("KB_EMBED_BACKEND", "hash")

    def run(*argv: str) -> tuple[int, str, str]:
        rc = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return rc, out, err
    return run


@pytest.fixture
def indexed(tmp_path, cli):
    """Two good documents indexed through the CLI; returns their folder."""
    folder = tmp_path / "good"
    folder.mkdir()
    (folder / "a.txt").write_text(A_TEXT, encoding="utf-8")
    (folder / "policy.txt").write_text(POLICY_TEXT, encoding="utf-8")
    rc, out, _ = cli("ingest", "-q", folder)
    assert rc == 0 and out.count("[成功]") == 2, out
    return folder


def _kb() -> KnowledgeBase:
    return KnowledgeBase(load_settings(), embedder=HashEmbedding())


def snapshot() -> dict:
    kb = _kb()
    catalog = kb.catalog.chunk_ids()
    bm25 = kb.bm25.stored_ids()
    assert len(catalog) == len(set(catalog)) and len(bm25) == len(set(bm25))
    return {"documents": sorted((d.doc_id, d.source, d.content_hash, d.status, d.n_chunks)
                                for d in kb.catalog.documents(status=None)),
            "catalog": sorted(catalog), "chroma": sorted(kb.vectors.ids()), "bm25": sorted(bm25)}


def _consistent(snap: dict) -> bool:
    return snap["catalog"] == snap["chroma"] == snap["bm25"] and all(d[3] == "ready" for d in snap["documents"])


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_is_refused_and_the_index_is_unchanged(name, tmp_path, cli, indexed):
    make, expected = BAD[name]
    path = tmp_path / "bad" / name
    path.parent.mkdir()
    make(path)
    before = snapshot()
    rc, out, _ = cli("ingest", "-q", path)
    assert rc == 1, out
    line = out.splitlines()[0]
    assert line.startswith(f"[失败] {name}：") and expected in line, line
    assert snapshot() == before


def test_file_over_the_size_limit(tmp_path, cli, indexed, monkeypatch):
    monkeypatch.setenv("KB_MAX_FILE_MB", "0.01")
    big = tmp_path / "big.txt"
    big.write_text("常州市科技创新政策汇编。" * 2000, encoding="utf-8")       # ~72 KB
    before = snapshot()
    rc, out, _ = cli("ingest", "-q", big)
    assert rc == 1 and out.startswith("[失败] big.txt：文件超过大小上限（0.01 MB）"), out
    assert snapshot() == before


def test_gbk_text_is_indexed(tmp_path, cli, indexed):
    path = tmp_path / "gbk.txt"
    path.write_bytes("常州市对首次认定的科技型中小企业给予资助。\n\n溧阳市推进动力电池产业集聚发展。".encode("gbk"))
    rc, out, _ = cli("ingest", "-q", path)
    assert rc == 0 and out.startswith("[成功] gbk.txt："), out
    hits = _kb().search("动力电池产业", top_k=1, filters=Filters(doc_ids=("gbk.txt",)))
    assert hits and "溧阳市推进动力电池产业集聚发展" in hits[0].text
    assert _consistent(snapshot())


def test_duplicate_upload_is_reported_exit_zero_and_changes_nothing(tmp_path, cli, indexed):
    """Same content under another name: not an error (the text is indexed already), so exit 0; nothing added."""
    copy = tmp_path / "a-copy.txt"
    copy.write_bytes((indexed / "a.txt").read_bytes())
    before = snapshot()
    rc, out, _ = cli("ingest", "-q", copy)
    assert rc == 0 and out.startswith("[重复] a-copy.txt：与已索引的 a.txt 内容完全相同，未重复索引"), out
    assert snapshot() == before
    rc, out, _ = cli("ingest", "-q", indexed)          # the originals again: unchanged, exit 0
    assert rc == 0 and out.count("[未变化]") == 2
    assert snapshot() == before


def test_same_name_new_content_replaces_the_document(cli, indexed):
    before = snapshot()
    (indexed / "policy.txt").write_text(POLICY_TEXT.replace("20万元", "30万元"), encoding="utf-8")
    rc, out, _ = cli("ingest", "-q", indexed / "policy.txt")
    assert rc == 0 and out.startswith("[成功] policy.txt："), out
    after = snapshot()
    assert [d[0] for d in after["documents"]] == [d[0] for d in before["documents"]]
    assert _consistent(after) and set(after["catalog"]) != set(before["catalog"])
    kb = _kb()
    assert set(kb.catalog.chunk_ids("a.txt")) <= set(before["catalog"])     # the other document is untouched
    texts = [h.text for h in kb.search("首次认定高新技术企业奖励", top_k=5)]
    assert any("30万元" in t for t in texts) and not any("20万元" in t for t in texts)


def test_odd_names_keep_the_plain_file_name_as_doc_id(tmp_path, cli, indexed):
    odd = "报告 2023（终稿）& $HOME 'q' \"d\";#%.txt"
    folder = tmp_path / "odd dir"
    (folder / "sub").mkdir(parents=True)
    (folder / odd).write_text("金坛区推进光伏产业链延链补链强链。", encoding="utf-8")
    rc, out, _ = cli("ingest", "-q", folder / "sub" / ".." / odd)
    assert rc == 0 and out.startswith(f"[成功] {odd}："), out
    kb = _kb()
    assert kb.catalog.document(odd).source == odd
    hits = kb.search("光伏产业链", top_k=1, filters=Filters(doc_ids=(odd,)))
    assert hits and hits[0].doc_id == odd
    rc, out, _ = cli("remove", odd)
    assert rc == 0 and kb.catalog.document(odd) is None
    assert _consistent(snapshot())


def test_a_file_named_like_a_staging_entry_survives_reindexing(tmp_path, cli, indexed):
    """A staged version must never share an id with a real document (it used to be '~staging~' + file name)."""
    tricky = tmp_path / "~staging~policy.txt"
    tricky.write_text("武进区建设智能制造示范工厂十家。", encoding="utf-8")
    assert cli("ingest", "-q", tricky)[0] == 0
    (indexed / "policy.txt").write_text(POLICY_TEXT + "\n\n第三条 本办法自发布之日起施行。", encoding="utf-8")
    assert cli("ingest", "-q", indexed / "policy.txt")[0] == 0
    snap = snapshot()
    assert {d[0] for d in snap["documents"]} == {"a.txt", "policy.txt", "~staging~policy.txt"}
    assert _consistent(snap)


def test_cli_exit_status_for_a_mixed_batch(tmp_path, indexed, data_dir):
    """The real process: any failed file → exit 1, the good ones are still indexed."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "new.txt").write_text("钟楼区推动老工业区转型升级。", encoding="utf-8")
    env = {"KB_DATA_DIR": str(data_dir), "KB_EMBED_BACKEND": "hash", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "ANONYMIZED_TELEMETRY": "False"}
    out = subprocess.run([sys.executable, str(KB_CLI), "ingest", "-q", str(folder)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "[失败] empty.txt：文件为空" in out.stdout and "[成功] new.txt：" in out.stdout
    snap = snapshot()
    assert {d[0] for d in snap["documents"]} == {"a.txt", "policy.txt", "new.txt"} and _consistent(snap)
