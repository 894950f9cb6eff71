"""The extractive answerer as a small package: question analysis → candidates → features → fitted scorer →
answer or named refusal. The stages are plain functions over small types; see docs/quality.md for figures."""
from ..model import NOT_FOUND, Answer, Citation
from .reader import extractive_answer, score_parts

__all__ = ["NOT_FOUND", "Answer", "Citation", "extractive_answer", "score_parts"]
