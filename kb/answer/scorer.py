"""The answerer's two fitted models, read from one resource file written by bench/fit_answerer.py.

- `candidate`: logistic regression over the named features of a candidate quote: the probability that the quote
  answers the question part. The best-rated quote of each part is the one given.
- `refusal`: logistic regression over the best quote's features and its candidate logit: the probability that the
  part is answerable from these passages at all. Below `threshold` the part is refused.
Nothing here is set by hand; both are fit on the tuning part of the evaluation questions.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .features import NAMES

MODEL_FILE = Path(__file__).resolve().parent.parent / "resources" / "answer_model.json"
REFUSAL_NAMES = ("candidate_logit", *NAMES)


@dataclass(frozen=True)
class Linear:
    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def logit(self, x) -> float:
        # v != v: a missing feature (features.MISSING) counts as its mean
        return self.intercept + sum(c * (v - m) / s for c, v, m, s in zip(self.coef, x, self.mean, self.scale)
                                    if v == v)

    def probability(self, x) -> float:
        z = self.logit(x)
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def to_json(self) -> dict:
        return {"features": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: dict, names: tuple[str, ...]) -> "Linear":
        if tuple(data["features"]) != names:
            raise ValueError("model was fit on other features "
                             f"({', '.join(sorted(set(data['features']) ^ set(names)))}); refit it with its bench/ script "
                             "(fit_answerer.py, fit_reranker.py)")
        return cls(names, tuple(data["mean"]), tuple(data["scale"]), tuple(data["coef"]), float(data["intercept"]))


@dataclass(frozen=True)
class Scorer:
    candidate: Linear
    refusal: Linear | None
    threshold: float

    def answerable(self, x, p: float) -> float:
        """Probability that a part is answered by its best quote (features x, candidate probability p)."""
        if self.refusal is None:
            return p
        p = min(max(p, 1e-12), 1 - 1e-12)
        return self.refusal.probability([math.log(p / (1 - p)), *x])

    def to_json(self) -> dict:
        return {"candidate": self.candidate.to_json(),
                "refusal": self.refusal.to_json() if self.refusal else None, "threshold": self.threshold}


def from_json(data: dict) -> Scorer:
    refusal = Linear.from_json(data["refusal"], REFUSAL_NAMES) if data.get("refusal") else None
    return Scorer(Linear.from_json(data["candidate"], NAMES), refusal, float(data["threshold"]))


@lru_cache(maxsize=4)
def fit_embedder(path: Path = MODEL_FILE) -> str:
    """The embedding model the scorer was fit with: its dense and score features mean what they meant in the fit
    only with that model (and its scale of fused scores)."""
    return json.loads(Path(path).read_text(encoding="utf-8")).get("fitted", {}).get("embedder", "")


@lru_cache(maxsize=4)
def load(path: Path = MODEL_FILE) -> Scorer:
    return from_json(json.loads(Path(path).read_text(encoding="utf-8")))
