"""The knowledge base end to end on real Chroma, real files; a hash embedder where only bookkeeping matters."""
import json
import subprocess
import sys

import pytest

from kb.library import KnowledgeBase
from kb.settings import load_settings

from conftest import CORPUS, KB_CLI, ROOT


def _kb(data_dir, embedder):
    return KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(data_dir)}), embedder=embedder)


def _consistent(kb):
    ids = set(kb.catalog.chunk_ids())
    return ids == kb.vectors.ids() == set(kb.bm25.stored_ids())


@pytest.mark.integration
def test_ingest_twice_is_a_noop_and_stores_agree(tmp_path, data_dir, hash_embedder):
    kb = _kb(data_dir, hash_embedder)
    first = list(kb.ingest([CORPUS]))
    assert [e.status for e in first] == ["ok"] * 5
    ids = set(kb.catalog.chunk_ids())
    second = list(kb.ingest([CORPUS]))
    assert [e.status for e in second] == ["unchanged"] * 5
    assert set(kb.catalog.chunk_ids()) == ids and _consistent(kb)


@pytest.mark.integration
def test_changed_file_replaces_its_chunks_and_remove_cleans_everything(tmp_path, data_dir, hash_embedder):
    kb = _kb(data_dir, hash_embedder)
    doc = tmp_path / "policy.txt"
    doc.write_text("第一条 对首次认定的高新技术企业奖励20万元。\n第二条 对再次认定的奖励10万元。", encoding="utf-8")
    assert [e.status for e in kb.ingest([doc])] == ["ok"]
    old = set(kb.catalog.chunk_ids())
    doc.write_text("第一条 对首次认定的高新技术企业奖励30万元。\n第二条 对再次认定的奖励15万元。", encoding="utf-8")
    assert [e.status for e in kb.ingest([doc])] == ["ok"]
    new = set(kb.catalog.chunk_ids())
    assert new and not (old & new) and _consistent(kb)
    assert "30万元" in kb.search("首次认定高企奖励", top_k=1)[0].text
    kb.remove("policy.txt")
    assert kb.catalog.chunk_ids() == [] and kb.vectors.ids() == set() and kb.bm25.stored_ids() == []


@pytest.mark.integration
def test_duplicate_and_renamed_files(tmp_path, data_dir, hash_embedder):
    kb = _kb(data_dir, hash_embedder)
    a = tmp_path / "a.txt"
    a.write_text("常州科教城获评中国最佳创业园区第一名。", encoding="utf-8")
    list(kb.ingest([a]))
    b = tmp_path / "b.txt"
    b.write_bytes(a.read_bytes())
    assert [e.status for e in kb.ingest([b])] == ["duplicate"]
    a.unlink()
    assert [e.status for e in kb.ingest([b])] == ["renamed"]
    assert kb.catalog.document("a.txt").source == "b.txt"


@pytest.mark.integration
def test_bad_files_reported_others_ingested(tmp_path, data_dir, hash_embedder):
    kb = _kb(data_dir, hash_embedder)
    good = tmp_path / "good.txt"
    good.write_text("常州87家企业上榜苏南自创区独角兽瞪羚企业名单。", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "junk.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "table.xlsx").write_bytes(b"PK\x03\x04junk")
    events = {e.name: e for e in kb.ingest([tmp_path / "empty.txt", tmp_path / "junk.txt", tmp_path / "table.xlsx",
                                            tmp_path / "missing.txt", good])}
    assert events["good.txt"].status == "ok"
    for name in ("empty.txt", "junk.txt", "table.xlsx", "missing.txt"):
        assert events[name].status == "failed" and events[name].message.startswith(name + "：")
    assert len(kb.catalog.documents()) == 1 and _consistent(kb)


@pytest.mark.integration
def test_second_writer_gets_a_clear_message(data_dir, hash_embedder):
    from kb.errors import KBError
    kb = _kb(data_dir, hash_embedder)
    with kb.writer():
        with pytest.raises(KBError, match="另一个索引任务"):
            with _kb(data_dir, hash_embedder).writer():
                pass


@pytest.mark.integration
@pytest.mark.slow
def test_search_and_ask_on_the_corpus(corpus_kb):
    hits = corpus_kb.search("首次认定高企奖励多少？")
    assert hits and "首次认定为高新技术企业的，奖励20万元" in hits[0].text
    assert hits[0].title == "《常州科技》2023年第3期" and hits[0].article
    answer = corpus_kb.ask("首次认定高企奖励多少？")
    assert answer.answered and "20万元" in answer.text and "[1]" in answer.text
    cite = answer.citations[0]
    a, b = cite.spans[0]
    assert cite.hit.text[a:b].strip() == cite.quote and "20万元" in cite.quote


@pytest.mark.integration
@pytest.mark.slow
def test_filters_restrict_results(corpus_kb):
    from kb.retrieve import Filters
    hits = corpus_kb.search("科教城", top_k=5, filters=Filters(kinds=("news",)))
    assert hits and all(h.kind == "news" for h in hits)
    hits = corpus_kb.search("高新技术企业", top_k=5, filters=Filters(date_from="2023-01"))
    assert hits and all(h.date >= "2023-01" for h in hits)
    hits = corpus_kb.search("高新技术企业", filters=Filters(doc_ids=("keji-gaige-huibian.txt",)))
    assert hits and {h.doc_id for h in hits} == {"keji-gaige-huibian.txt"}


@pytest.mark.integration
@pytest.mark.slow
def test_unanswerable_question_is_refused(corpus_kb):
    answer = corpus_kb.ask("常州市2025年火星探测器发射计划的预算是多少？")
    assert not answer.answered and answer.text.startswith("资料中未找到")
    assert answer.citations == ()


@pytest.mark.integration
@pytest.mark.slow
def test_cli_batch_json(corpus_kb, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join(json.dumps({"id": i, "question": q}, ensure_ascii=False)
                               for i, q in [("a", "首次认定高企奖励多少？"), ("b", "石墨烯小镇研发社区项目计划投资多少？")]),
                     encoding="utf-8")
    env = {"KB_DATA_DIR": str(corpus_kb.settings.data_dir), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "cli.main", "ask", "--batch", str(batch)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["answered"] and rows[0]["citations"][0]["doc_id"] == "changzhou-keji-2023-03.txt"
    assert {"n", "chunk_id", "text", "doc_id", "title", "source", "date", "article", "page", "quote"} <= set(rows[0]["citations"][0])
    out = subprocess.run([sys.executable, "-m", "cli.main", "search", "--batch", str(batch), "--top-k", "3"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows[1]["hits"]) == 3 and rows[1]["hits"][0]["rank"] == 1


@pytest.mark.integration
def test_cli_ingest_bad_path_exits_nonzero(tmp_path):
    env = {"KB_DATA_DIR": str(tmp_path / "d"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "cli.main", "ingest", str(tmp_path / "nope.txt")], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "文件不存在" in out.stdout


@pytest.mark.integration
def test_reader_process_sees_vectors_another_process_wrote(tmp_path, data_dir):
    """`kb serve` keeps one KnowledgeBase open while staff run `kb ingest`: new passages must reach its
    dense search too, not only BM25 (the embedded store reads its index once per client)."""
    env = {"KB_DATA_DIR": str(data_dir), "KB_EMBED_BACKEND": "hash", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    first = tmp_path / "first.txt"
    first.write_text("常州科教城获评中国最佳创业园区第一名。", encoding="utf-8")
    cli = [sys.executable, str(KB_CLI), "ingest"]
    assert subprocess.run(cli + [str(first)], cwd=ROOT, env=env, capture_output=True, timeout=120).returncode == 0
    reader = KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(data_dir), "KB_EMBED_BACKEND": "hash"}))
    assert reader.search("最佳创业园区")[0].doc_id == "first.txt"        # the reader's store is open now
    second = tmp_path / "second.txt"
    second.write_text("溧阳成功入选国家第二批创新型县（市）建设名单。", encoding="utf-8")
    assert subprocess.run(cli + [str(second)], cwd=ROOT, env=env, capture_output=True, timeout=120).returncode == 0
    hits = reader.search("溧阳入选创新型县建设名单")
    assert hits[0].doc_id == "second.txt" and "dense" in hits[0].found_by


@pytest.mark.integration
def test_reindex_all_sources_and_removing_an_upload_deletes_its_copy(tmp_path, data_dir, hash_embedder):
    kb = _kb(data_dir, hash_embedder)
    kb.settings.uploads_dir.mkdir(parents=True)
    upload = kb.settings.uploads_dir / "简报.txt"
    upload.write_text("常州新增3家国家级科技企业孵化器。", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("溧阳成功入选国家第二批创新型县（市）建设名单。", encoding="utf-8")
    list(kb.ingest([upload, elsewhere]))
    sources = kb.known_sources()
    assert kb.settings.corpus_dir in sources and kb.settings.uploads_dir in sources
    assert elsewhere.resolve() in [p.resolve() for p in sources] and upload not in sources
    kb.remove("简报.txt")
    assert not upload.exists() and elsewhere.exists()
    kb.remove("elsewhere.txt")
    assert elsewhere.exists()                     # files outside the uploads folder are never deleted


@pytest.mark.integration
def test_auto_answerer_is_fitted_only_with_the_embedder_it_was_fit_with(tmp_path):
    from hash_embedding import HashEmbedding
    from kb.answer.scorer import fit_embedder
    from kb.embeddings import build_embedder
    settings = load_settings(env={"KB_DATA_DIR": str(tmp_path / "data")})
    assert settings.answerer == "auto"
    # the bundled model is what the scorer was fit with (building it loads no weights)
    assert build_embedder(settings, cache=False).model_name == fit_embedder()
    assert KnowledgeBase(settings, embedder=build_embedder(settings, cache=False)).answerer_kind() == "fitted"
    assert KnowledgeBase(settings, embedder=HashEmbedding()).answerer_kind() == "rules"
    forced = load_settings(env={"KB_DATA_DIR": str(tmp_path / "data"), "KB_ANSWERER": "fitted"})
    assert KnowledgeBase(forced, embedder=HashEmbedding()).answerer_kind() == "fitted"


@pytest.mark.integration
def test_the_dense_index_is_searched_at_the_configured_breadth(tmp_path, data_dir, hash_embedder):
    """Chroma's default ef_search let the tail of the dense list differ between processes; the store is opened
    with settings.dense_search_ef, and an existing collection takes a changed value when reopened."""
    import chromadb

    def breadth():
        client = chromadb.PersistentClient(path=str(kb.settings.chroma_dir))
        return client.get_collection(kb.settings.collection).configuration["hnsw"]["ef_search"]

    doc = tmp_path / "policy.txt"
    doc.write_text("第一条 对首次认定的高新技术企业奖励20万元。", encoding="utf-8")
    kb = _kb(data_dir, hash_embedder)
    assert [e.status for e in kb.ingest([doc])] == ["ok"]
    assert breadth() == kb.settings.dense_search_ef == 512
    kb = KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(data_dir), "KB_DENSE_SEARCH_EF": "300"}),
                       embedder=hash_embedder)
    assert kb.search("首次认定高企奖励多少？", top_k=1)[0].text.startswith("第一条")
    assert breadth() == 300
