"""Question answering over Chinese documents, with passages cited to the character.

    >>> from rag import retrieve, ask
    >>> for h in retrieve("What did Sun Huaqin propose for SMEs?", k=5):
    ...     print(h.score, h.doc, h.section, h.start, h.end, h.text)
    >>> ask("What is the capital of France?").answered
    False
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Settings
from .errors import CorpusError, IndexNotReady, ModelError, QuestionError, RagError

if TYPE_CHECKING:
    from .answer import Answer
    from .retriever import Hit, Retriever

__all__ = ["Answer", "CorpusError", "Hit", "IndexNotReady", "ModelError", "QuestionError",
           "RagError", "Retriever", "Settings", "ask", "retrieve"]

_default = None


def default_retriever():
    """The process-wide retriever over the default corpus and index (built if needed)."""
    global _default
    if _default is None:
        from .retriever import Retriever

        _default = Retriever()
    return _default


def retrieve(question: str, k: int = 5) -> list[Hit]:
    """The k passages that best answer ``question``, best first."""
    from .checks import passages_wanted

    k = passages_wanted(k)  # before loading anything
    return default_retriever().search(question, k)


def ask(question: str, k: int = 5, history: list[str] | None = None) -> Answer:
    """Like retrieve, plus whether the corpus answers the question at all (``answered``);
    ``history`` holds the conversation's earlier questions, oldest first, for follow-ups."""
    from .answer import answer
    from .checks import earlier_questions, passages_wanted

    k, history = passages_wanted(k), earlier_questions(history)  # before loading anything
    return answer(default_retriever(), question, k, history)


def __getattr__(name: str):
    # Heavy modules (torch, faiss) load only when used: `import rag` stays instant.
    if name in ("Retriever", "Hit"):
        from . import retriever as module

        return getattr(module, name)
    if name == "Answer":
        from .answer import Answer

        return Answer
    raise AttributeError(name)
