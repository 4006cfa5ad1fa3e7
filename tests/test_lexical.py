"""BM25 scoring from the saved arrays agrees with bm25s itself; idf and term lookups; Han; a corpus's own words."""

import numpy as np
import pytest

from rag.lexical import (
    HAN_RUN,
    USER_WORDS_FILE,
    BM25Index,
    cjk_ratio,
    is_han,
    load_jieba,
    read_user_words,
    tokenize,
    traditional_share,
    use_words,
)
from tests.conftest import ARTICLE

TEXTS = [block for block in ARTICLE.read_text(encoding="utf-8").split("\n\n") if block.strip()]


@pytest.fixture(scope="module", autouse=True)
def article_words():
    """The article's names and terms, from its folder, as a build of it uses them."""
    words, warnings = read_user_words(ARTICLE.parent)
    assert warnings == [] and len(words) >= 10
    use_words(words)
    return words


@pytest.mark.parametrize("terms", [["孙华芹", "中小企业"], ["人工智能", "制造", "人工智能"], ["没有的词"], []])
def test_scores_match_bm25s(tmp_path, terms):
    import bm25s

    ours = BM25Index.build(TEXTS)
    ours.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    reference = bm25s.BM25()
    reference.index([tokenize(t) or ["\u0000"] for t in TEXTS], show_progress=False)
    known = [t for t in terms if t in loaded]
    expected = reference.get_scores(known) if known else np.zeros(len(TEXTS))
    assert np.allclose(loaded.scores(terms), expected, atol=1e-5)


def test_idf_is_higher_for_rarer_terms():
    index = BM25Index.build(TEXTS)
    rare, common, missing = index.idf(["孙华芹", "人工智能", "没有的词"])
    assert rare > common > 0 and missing == 0


def test_traditional_text_is_matched_in_simplified_characters():
    from rag.lexical import simplified

    traditional = "陸特和漢斯雷頓開創了哪一地區對梵語的學術研究？"
    assert simplified(traditional) == "陆特和汉斯雷顿开创了哪一地区对梵语的学术研究？"
    assert len(simplified(traditional)) == len(traditional)  # offsets into the text stay valid
    assert simplified("孙华芹 Sun Huaqin 2024年") == "孙华芹 Sun Huaqin 2024年"  # simplified text is left alone
    assert tokenize(traditional) == tokenize(simplified(traditional))
    index = BM25Index.build(["孫華芹建議政府出臺支持政策", "别的文字"])
    assert index.idf(["孙华芹"])[0] > 0 and index.scores(["孙华芹"])[0] > 0


def test_japanese_forms_of_characters_are_read_as_simplified_ones():
    from rag.lexical import from_japanese, simplified

    # 経済, 発展, 団: forms only Japanese writes; 研, 予 and 芸 are Chinese characters too, kept
    assert simplified(from_japanese("経済発展 通用技術集団 研究 予定 芸")) == "经济发展 通用技术集团 研究 予定 芸"
    assert simplified("経済") == "経済"  # the corpus is folded as its builds were: questions only


def test_the_corpus_words_are_whole_tokens_of_the_article(article_words):
    text = ARTICLE.read_text(encoding="utf-8")
    tokens = set(tokenize(text))
    for word, _, _ in article_words:
        assert word in text and word.lower() in tokens, word
    assert ("孙华芹", 10, "nr") in article_words
    assert {"中国电气装备集团", "传化小智", "sk海力士", "具身智能"} <= tokens  # jieba alone cuts these apart


def test_using_words_again_changes_nothing(article_words):
    counts = load_jieba().dt
    total = counts.total
    assert use_words(article_words) == 0 and use_words([list(w) for w in article_words]) == 0  # (as JSON lists)
    assert counts.total == total


def test_user_words_file_tolerates_bad_lines(tmp_path):
    assert read_user_words(tmp_path) == ([], [])  # no file: no words
    (tmp_path / USER_WORDS_FILE).write_text(
        "\ufeff# names\n孙华芹 10 nr\n\n华芹科技\nC#  5\nmachine tool 3\n" + "长" * 31 + "\n词 9999999\n——\n",
        encoding="utf-8")
    words, warnings = read_user_words(tmp_path)
    assert words == [("孙华芹", 10, "nr"), ("华芹科技", None, None), ("C#", 5, None)]
    assert [w.split(":")[1] for w in warnings] == ["6", "7", "8", "9"]
    (tmp_path / USER_WORDS_FILE).write_bytes(b"\xff\xfe\xfa")
    words, warnings = read_user_words(tmp_path)
    assert words == [] and "cannot be read" in warnings[0]


def test_traditional_user_words_match_as_the_text_is_matched():
    use_words([("鍾離韻霏", 10, "nr")])  # a name written in traditional: the text is matched in simplified
    assert "钟离韵霏" in tokenize("鍾離韻霏說")


def test_han_is_every_ideograph_block():
    for c in "中㐀鿿豈\U00020000\U0002a700\U0002ebf0\U0002f800\U00030000\U00031350":
        assert is_han(c), hex(ord(c))
    for c in "aあ한〇。，Ａ\u4dc0\u2f00":  # kana, Hangul, punctuation, a hexagram and a radical are not
        assert not is_han(c), hex(ord(c))
    assert HAN_RUN.findall("用𠮷野家和㐀字，abc") == ["用𠮷野家和㐀字"]
    assert cjk_ratio("𠮷𠮷ab") == 0.5
    assert traditional_share(["䷀䷁體"]) == 1.0  # hexagrams are not Han: one Han character, traditional
