"""BM25 scoring from the saved arrays agrees with bm25s itself; idf and term lookups."""

import numpy as np
import pytest

from rag.lexical import HAN_RUN, BM25Index, cjk_ratio, is_han, tokenize, traditional_share
from tests.conftest import ARTICLE

TEXTS = [block for block in ARTICLE.read_text(encoding="utf-8").split("\n\n") if block.strip()]


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


def test_han_is_every_ideograph_block():
    for c in "中㐀鿿豈\U00020000\U0002a700\U0002ebf0\U0002f800\U00030000\U00031350":
        assert is_han(c), hex(ord(c))
    for c in "aあ한〇。，Ａ\u4dc0\u2f00":  # kana, Hangul, punctuation, a hexagram and a radical are not
        assert not is_han(c), hex(ord(c))
    assert HAN_RUN.findall("用𠮷野家和㐀字，abc") == ["用𠮷野家和㐀字"]
    assert cjk_ratio("𠮷𠮷ab") == 0.5
    assert traditional_share(["䷀䷁體"]) == 1.0  # hexagrams are not Han: one Han character, traditional
