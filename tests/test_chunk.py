"""The chunker on the real article and on random text: repairs, offsets, limits, stable ids."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.chunk import MAX_CHARS, chunk_document, has_sentence_end, sentence_spans
from rag.corpus import read_corpus
from rag.ingest import parse_document
from tests.conftest import ARTICLE


def article_passages(max_chars=MAX_CHARS):
    docs, warnings = read_corpus(ARTICLE.parent)
    assert warnings == []
    return docs[0], chunk_document(docs[0], max_chars)


def squash(text):
    return "".join(text.split())


def test_title_and_sections():
    doc, passages = article_passages()
    assert doc.title == "“人工智能+制造”如何跑出加速度？"
    sections = list(dict.fromkeys(p.section for p in passages))
    assert sections == ["", "制造业加速拥抱人工智能", "两者不是简单叠加", "代表委员建言",
                        "加快工业母机成果转化 筑牢制造强国根基"]


def test_page_break_sentences_are_repaired():
    _, passages = article_passages()
    texts = [p.text for p in passages]
    for joined in ["推动人工智能与制造业深度融合，是发展新质生产力的核心路径",
                   "对标国家“人工智能+”战略部署", "整合AI技术，拥有AI技术的科技企业",
                   "生产部经理孙华芹关注到", "中试验证环节薄弱", "关键核心技术“卡脖子”",
                   "专业化服务平台和机构的积极性"]:
        assert sum(joined in t for t in texts) == 1, joined


def test_caption_is_its_own_passage():
    _, passages = article_passages()
    captions = [p for p in passages if "新华社记者 刘颖/摄" in p.text]
    assert len(captions) == 1
    assert captions[0].text.startswith("2026年1月27日")
    assert captions[0].text.endswith("新华社记者 刘颖/摄")


def test_offsets_are_exact_and_nothing_is_lost():
    doc, passages = article_passages()
    for p in passages:
        assert doc.text[p.start:p.end] == p.text
    # every non-whitespace character of the file's body is in exactly one passage
    raw = ARTICLE.read_text(encoding="utf-8")
    body = "".join(line for line in raw.splitlines() if not line.startswith("#"))
    assert sorted(squash(body)) == sorted(squash("".join(p.text for p in passages)))


def test_length_limit_holds_and_splits_at_sentence_ends():
    doc, passages = article_passages(max_chars=120)
    assert all(len(p.text) <= 120 for p in passages)
    block_ends = {b.end for b in doc.blocks}
    # a cut inside a paragraph falls after a sentence end, or a comma for an over-long sentence
    assert all(p.end in block_ends or re.search(r"[。！？；，、”]$", p.text) for p in passages)
    assert sum(p.end not in block_ends for p in passages) >= 10


def test_ids_stable_and_unique():
    _, first = article_passages()
    _, second = article_passages()
    assert [p.id for p in first] == [p.id for p in second]
    assert len({p.id for p in first}) == len(first)


def test_byline_is_not_merged():
    _, passages = article_passages()
    assert passages[0].text == "▶ 本报记者 罗晓燕"


def test_paragraphs_that_end_complete_or_do_not_continue_stay_apart():
    # Wikipedia copies end paragraphs with "[citation needed]" or "[3]" after the stop, or with no
    # stop at all after a Latin word: they stay apart from the next paragraph, while a paragraph
    # cut mid-sentence is still rejoined.
    raw = ("# 学校\n\n自上世纪70年代以来，许多“种族隔离学校”已经关闭，但有些仍在运营。[citation needed]\n\n"
           "南非一些最古老的学校是由传教士在19世纪早期建立的。[3][4]\n\n"
           "1996年的南非学校法案认可两类学校，即公立学校和独立学校，其中独立学校包括所有私\n\n立学校。\n\n"
           "在多个州都有著名的考试委员会，分别是 CBSE 和CISCE，NENBSE\n\n南非一些学校是由传教士建立的。\n\n"
           "A sentence a page break cut after the word\n\nbroken goes on here.\n")
    doc = parse_document("schools.md", raw)
    paragraphs = [doc.text[b.start:b.end] for b in doc.blocks if b.kind == "para"]
    assert paragraphs == ["自上世纪70年代以来，许多“种族隔离学校”已经关闭，但有些仍在运营。[citation needed]",
                          "南非一些最古老的学校是由传教士在19世纪早期建立的。[3][4]",
                          "1996年的南非学校法案认可两类学校，即公立学校和独立学校，其中独立学校包括所有私立学校。",
                          "在多个州都有著名的考试委员会，分别是 CBSE 和CISCE，NENBSE", "南非一些学校是由传教士建立的。",
                          "A sentence a page break cut after the word broken goes on here."]


def test_sentence_spans_cover_text():
    text = "第一句。第二句！“第三句？”最后没有句号"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["第一句。", "第二句！", "“第三句？”", "最后没有句号"]


def test_has_sentence_end_where_sentence_spans_cuts():
    for text in ["结束。", "真的吗？”", "He left. Then", "The end.", "……", "问题；"]:
        assert has_sentence_end(text), text
    for text in ["▶ 本报记者 罗晓燕", "新华社记者 刘颖/摄", "3.5%", "2026年1月27日", "www.example.com", ""]:
        assert not has_sentence_end(text), text
        assert len(sentence_spans(text)) <= 1


paragraph = st.text(alphabet=st.sampled_from(list("制造业人工智能，。！？；“”abc 1\n")), max_size=900)


@settings(max_examples=150, deadline=None)
@given(st.lists(paragraph, min_size=1, max_size=6), st.integers(min_value=20, max_value=400))
def test_chunker_invariants_on_random_text(paragraphs, max_chars):
    raw = "# 标题\n\n" + "\n\n".join(paragraphs)
    doc = parse_document("random.md", raw)
    passages = chunk_document(doc, max_chars)
    for p in passages:
        assert doc.text[p.start:p.end] == p.text
        assert 0 < len(p.text) <= max_chars
    body = "".join(paragraphs)
    assert sorted(squash(body)) == sorted(squash("".join(p.text for p in passages)))
    assert [p.id for p in passages] == [p.id for p in chunk_document(parse_document("random.md", raw), max_chars)]
