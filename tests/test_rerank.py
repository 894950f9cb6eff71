"""The passage reranker (kb/rerank.py) on hand-made passages: its features, its order, and when it is off."""
import json

import numpy as np
import pytest

from kb.answer.scorer import Linear
from kb.rerank import NAMES, features, load, rerank
from kb.retrieve import Hit
from kb.text import TermWeights



def hit(text, rank, score):
    return Hit(rank=rank, chunk_id=f"c{rank}", text=text, score=score, doc_id="d.txt", title="测试文档",
               source="d.txt", date="2023-03", article="测试文章")


def idf(term):
    return 3.0


@pytest.mark.unit
def test_one_sentence_holding_the_question_outranks_words_scattered_over_a_passage(tokenizer):
    terms = tokenizer.query_terms("青禾湾孵化器引进了多少家企业？")
    weighted = TermWeights(terms, idf, {}, 0.0)
    scattered = hit("青禾湾片区风景优美。区内建有多座孵化器。今年又引进了新的项目。企业家们十分满意。", 1, 1.0)
    together = hit("会议介绍了全年工作。青禾湾孵化器今年引进企业52家。", 2, 0.9)
    (f1, c1, d1), (f2, c2, d2) = features([scattered, together], weighted, np.ones(2) / np.sqrt(2), {})
    assert (f1, f2) == (1.0, 0.9)
    assert c2 > c1                       # the best sentence's share of the question's words
    assert d1 == d2 == 0.0                # no cached sentence vector: counts as dissimilar
    model = Linear(NAMES, (0.0,) * 3, (1.0,) * 3, (1.0, 2.0, 1.0), 0.0)
    ranked = rerank([scattered, together], [model.logit(x) for x in ((f1, c1, d1), (f2, c2, d2))])
    assert [h.chunk_id for h in ranked] == ["c2", "c1"] and [h.rank for h in ranked] == [1, 2]
    assert ranked[0].score == 0.9         # the fused score is kept: the answerer reads it as fusion's


@pytest.mark.unit
def test_dense_feature_is_the_closest_sentence(tokenizer):
    weighted = TermWeights(tokenizer.query_terms("奖励多少"), idf, {}, 0.0)
    near, far = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    x = features([hit("第一句。第二句。", 1, 1.0)], weighted, near, {"第一句。": far, "第二句。": near})
    assert x[0][2] == pytest.approx(1.0)


@pytest.mark.unit
def test_only_the_head_is_reordered():
    hits = [hit(f"段落{i}", i, 1.0 - i / 10) for i in range(1, 5)]
    ranked = rerank(hits, [0.1, 0.5])
    assert [h.chunk_id for h in ranked] == ["c2", "c1", "c3", "c4"]
    assert [h.rank for h in ranked] == [1, 2, 3, 4]


@pytest.mark.unit
def test_no_model_file_means_no_reranking_and_a_model_of_other_features_is_refused(tmp_path):
    assert load(tmp_path / "none.json") is None
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"features": ["fused"], "mean": [0], "scale": [1], "coef": [1], "intercept": 0}),
                    encoding="utf-8")
    with pytest.raises(ValueError, match="fit_reranker"):
        load(path)


@pytest.mark.unit
def test_the_reranker_applies_only_with_the_embedding_model_it_was_fit_with(data_dir, hash_embedder):
    from kb.library import KnowledgeBase
    from kb.settings import load_settings
    kb = KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(data_dir)}), embedder=hash_embedder)
    assert kb.settings.rerank_depth > 0 and load(kb.settings.rerank_model) is not None
    assert kb.stores.reranker() is None   # fit with the bundled model, not the hash embedder of these tests
    off = KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(data_dir), "KB_RERANK_DEPTH": "0"}),
                        embedder=hash_embedder)
    assert off.stores.reranker() is None


@pytest.mark.integration
@pytest.mark.slow
def test_the_bundled_model_reranks_the_corpus(corpus_kb):
    assert corpus_kb.stores.reranker() is not None
    hits = corpus_kb.search("首次认定高企奖励多少？", top_k=10)
    assert [h.rank for h in hits] == list(range(1, 11)) and len({h.chunk_id for h in hits}) == 10
    assert "首次认定为高新技术企业的，奖励20万元" in hits[0].text
