"""Passage reranking: the fused list's top passages re-ordered by a linear model fit by bench/fit_reranker.py.

Fusion rates a passage as a whole, but an answer is a sentence: a passage that scatters the question's words over
ten sentences ranks beside one that holds them in one. The model adds two sentence-level signals to the fused
score — the best sentence's share of the question's IDF-weighted terms, and the best sentence's dense similarity
to the question (sentence vectors are cached at ingest, so a query pays a cache lookup). Its weights are fit on the
tuning part of the evaluation questions; it applies only with the embedding model it was fit with.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import numpy as np

from .answer.features import sentence_spans
from .answer.scorer import Linear
from .model import Hit
from .text import TermWeights

NAMES = ("fused", "sentence_coverage", "sentence_dense")


@dataclass(frozen=True)
class Reranker:
    model: Linear
    embedder: str           # the embedding model the weights were fit with


def sentences(text: str) -> list[str]:
    """A passage's sentences as the answerer cuts them (and the ingest embeds them), so their vectors are cached."""
    return [t for _, _, t in sentence_spans(text)]


def unit(vector) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    return v / (np.linalg.norm(v) or 1.0)


def features(hits: list[Hit], weights: TermWeights, query: np.ndarray,
             vectors: Mapping[str, np.ndarray]) -> list[tuple[float, ...]]:
    """NAMES for each hit. query and vectors (by sentence text) are unit length; a sentence without a vector
    counts as dissimilar."""
    out = []
    for h in hits:
        units = sentences(h.text) or [h.text]
        out.append((h.score, max(weights.coverage(s) for s in units),
                    max(float(query @ vectors[s]) if s in vectors else 0.0 for s in units)))
    return out


def rerank(hits: list[Hit], scores: list[float]) -> list[Hit]:
    """The first len(scores) hits ordered by score (ties keep their order), then the rest; ranks renumbered.
    Each hit keeps its fused score: the answerer reads it as fusion's, not the reranker's."""
    head = sorted(range(len(scores)), key=lambda i: -scores[i])
    order = [hits[i] for i in head] + hits[len(scores):]
    return [dataclasses.replace(h, rank=i) for i, h in enumerate(order, start=1)]


def to_json(model: Linear, embedder: str, fitted: dict) -> dict:
    return {**model.to_json(), "fitted": {"embedder": embedder, **fitted}}


@lru_cache(maxsize=4)
def load(path: Path) -> Reranker | None:
    """The model in path, or None when there is none (reranking is then off)."""
    path = Path(path)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Reranker(Linear.from_json(data, NAMES), data.get("fitted", {}).get("embedder", ""))
