"""Which language a question is in: Chinese by its script, any other by py3langid.

The lexical side of retrieval differs by language: Chinese is cut into words, English reaches the
text through CC-CEDICT, every other language through what carries over (names, numbers, Latin
words, words spelled like English ones; Vietnamese through Sino-Vietnamese readings: rag/bridge.py)
and the multilingual model, its question moved towards Chinese by the language's offset
(``towards_chinese``). The learned weights exist per group (``model_group``), and the operating
point of the confidence per language where it was measured.

    >>> detect("孙华芹提出了什么建议？"), detect("Was schlug Sun Huaqin vor?"), model_group("de")
    ('zh', 'de', 'xx')
"""

from __future__ import annotations

import json
import logging
import re
from functools import cache
from pathlib import Path

import numpy as np

from .lexical import HAN_RUN, cjk_ratio

logger = logging.getLogger(__name__)

ZH_SHARE = 0.3  # a question at least this Chinese (of its letters) is read as Chinese
# The languages a question is told apart among: those of the model's training (XLM-R's, which
# multilingual e5 builds on) that py3langid knows. Among all of py3langid's, a short English
# question with a Chinese name in pinyin read as Nigerian Pidgin, a Spanish one as Quechua.
LANGUAGES = ("af am ar az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr "
             "hu hy id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my ne nl no or pa pl ps "
             "pt ro ru sa si sk sl so sq sr sv sw ta te th tl tr ug uk ur uz vi xh zh").split()
SHORT = 12  # letters: below this, a Latin-script question is too short to tell, and read as English
# Hiragana: Japanese grammar. A Japanese question with many kanji ("通用技術集団の売上はいくらですか？",
# half of its letters Han) is still Japanese: at least JA_SHARE of its letters, outside quotes, are
# hiragana (0.26 or more in every Japanese question of our eval sets), while a Chinese question
# naming a Japanese brand or title ("すき家在中国有多少家门店？": 0.17) stays Chinese.
HIRAGANA = re.compile("[\u3041-\u309f]")
QUOTED = re.compile("《[^》]*》|「[^」]*」|『[^』]*』|“[^”]*”")
JA_SHARE = 0.2


@cache
def _identifier():
    # (its model loads in a fraction of a second: only once a question is not Chinese)
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(LANGUAGES)
    return identifier


def detect(question: str) -> str:
    """The question's language as an ISO 639-1 code ("zh", "en", "de", …)."""
    unquoted = [c for c in QUOTED.sub(" ", question) if c.isalpha()]
    if unquoted and len(HIRAGANA.findall("".join(unquoted))) >= JA_SHARE * len(unquoted):
        return "ja"
    if cjk_ratio(question) >= ZH_SHARE:
        return "zh"
    rest = HAN_RUN.sub(" ", question)  # a Chinese name quoted in another language says nothing of it
    letters = [c for c in rest if c.isalpha()]
    if len(letters) < SHORT and all(c.isascii() for c in letters):
        return "en"
    return str(_identifier().classify(rest)[0])


def model_group(language: str) -> str:
    """Whose learned weights a question of ``language`` uses: "zh", "en", or "xx" (any other)."""
    return language if language in ("zh", "en") else "xx"


# Where a multilingual model puts a question depends on its language as well as its meaning: the
# questions of one language sit apart from the same questions in Chinese by a nearly constant
# offset. Moved by most of it towards Chinese, a question meets the Chinese passages better (held
# aside, plain e5's R@1 rises in ten of eleven languages: bench/RESULTS.md). Per language, the
# offset is the mean of XQuAD's training questions in it less the mean of the same questions in
# Chinese (rag/training.py writes them); SHIFT, the share applied, was chosen on those articles.
OFFSETS_FILE = Path(__file__).parent / "data" / "language_offsets.json"
SHIFT = 0.75


@cache
def offsets(model: str) -> dict[str, np.ndarray]:
    """Each language's offset from Chinese for ``model`` (none for another model, before training,
    or when the file cannot be read: questions are then not moved, and one warning says why)."""
    if not OFFSETS_FILE.exists():
        return {}
    try:
        stored = json.loads(OFFSETS_FILE.read_text(encoding="utf-8"))
        if stored.get("model") != model.split("#")[0]:  # (int8 weights: the same model's space)
            return {}  # measured for another model: says nothing of this one's space
        return {language: np.asarray(v, np.float32) for language, v in stored["offsets"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        logger.warning("questions are not moved towards Chinese: %s is unreadable (%s)", OFFSETS_FILE, e)
        return {}


def shared_offset(model: str) -> np.ndarray | None:
    """The mean of the measured offsets: the part of a language's offset most languages share.
    Each measured offset is close to the mean of the others (cosine 0.70-0.91), and held aside,
    a language moved by the others' mean ranks about as well as by its own (bench/RESULTS.md)."""
    measured = list(offsets(model).values())
    return np.mean(measured, axis=0).astype(np.float32) if measured else None


def towards_chinese(vector: np.ndarray, language: str, model: str) -> np.ndarray:
    """A question's vector moved by SHIFT of its language's offset from Chinese, renormalised; by the
    measured languages' shared offset for another language (Korean, Japanese, French…); unchanged
    for Chinese or for another model."""
    if language == "zh":
        return vector
    offset = offsets(model).get(language)
    if offset is None:
        offset = shared_offset(model)
    if offset is None or len(offset) != len(vector):
        return vector
    moved = vector - SHIFT * offset
    norm = np.linalg.norm(moved)
    return (moved / norm).astype(vector.dtype) if norm > 0 else vector
