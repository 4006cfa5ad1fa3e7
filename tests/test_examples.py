"""The chat's example questions and page title come from the corpus: its examples.txt, or its documents."""

from rag.examples import (
    EXAMPLES_FILE,
    MAX_EXAMPLES,
    corpus_examples,
    generated_examples,
    page_title,
    read_examples,
)
from tests.conftest import ARTICLE

ARTICLE_DOC = (ARTICLE.name, "“人工智能+制造”如何跑出加速度？", 22)


def test_the_article_folder_has_its_own_examples():
    examples, warnings = corpus_examples(ARTICLE.parent, [ARTICLE_DOC])
    assert warnings == [] and len(examples) == 4
    assert "孙华芹对中小企业提出了什么建议？" in examples and "What did Sun Huaqin propose for SMEs?" in examples


def test_a_folder_without_examples_gets_questions_about_its_own_documents(tmp_path):
    documents = [("robots.md", "机器人工厂", 3), ("notes/电池.md", "锂电池实验平台", 9), ("b.md", "Battery report", 3),
                 ("c.md", "第三篇", 1), ("d.md", "第四篇", 2)]
    examples, warnings = corpus_examples(tmp_path, documents)
    assert warnings == []
    # the largest documents first, Chinese and English in turn; "第三篇" (the smallest) left out
    assert examples == ["《锂电池实验平台》讲了什么？", "What is “Battery report” about?", "《机器人工厂》讲了什么？",
                        "What is “第四篇” about?"]
    assert generated_examples(list(reversed(documents))) == examples  # the same whatever the order given


def test_one_document_is_asked_about_in_both_languages():
    assert generated_examples([ARTICLE_DOC]) == ["“人工智能+制造”如何跑出加速度？",  # the title asks itself
                                                 "What is “人工智能+制造”如何跑出加速度 about?"]
    # a title taken from the file name is asked about in words; a long one is cut
    assert generated_examples([("ai-plus_manufacturing.md", "ai-plus_manufacturing", 2)])[1] == \
        "What is “ai plus manufacturing” about?"
    long = generated_examples([("long.md", "很长的标题" * 20, 2)])[0]
    assert long.startswith("《很长的标题") and long.endswith("…》讲了什么？") and len(long) < 60
    assert generated_examples([]) == []


def test_page_title():
    assert page_title([ARTICLE_DOC]) == "“人工智能+制造”如何跑出加速度 · cited Q&A"
    assert page_title([ARTICLE_DOC, ("b.md", "b", 1)]) == "Cited Q&A over 2 documents"
    assert page_title([]) == "Cited Q&A"


def test_examples_file_tolerates_bad_lines(tmp_path):
    (tmp_path / EXAMPLES_FILE).write_text(
        "\ufeff# comment\n\n  问题一？  \n问题一？\nC# 是什么？\n" + "长" * 201 + "\n问题三？\n问题四？\n问题五？\n",
        "utf-8")
    questions, warnings = read_examples(tmp_path)
    assert questions == ["问题一？", "C# 是什么？", "问题三？", "问题四？"] and len(questions) == MAX_EXAMPLES
    assert warnings[0].startswith(f"{EXAMPLES_FILE}:6: longer than") and "only the first 4" in warnings[1]
    (tmp_path / EXAMPLES_FILE).write_bytes(b"\xff\xfe\xfa")
    questions, warnings = corpus_examples(tmp_path, [("a.md", "甲", 1)])
    assert questions == ["《甲》讲了什么？", "What is “甲” about?"] and "cannot be read" in warnings[0]
