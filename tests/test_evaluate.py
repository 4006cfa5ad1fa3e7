"""The metrics `rag eval` reports, on hand-made outcomes."""

import pytest

from rag.chunk import Passage
from rag.errors import RagError
from rag.evaluate import Report
from rag.retriever import Hit


def hit(text: str, rank: int, evidence: str | None = None) -> Hit:
    passage = Passage(f"p{rank}", "doc.md", "题", "", rank, 0, len(text), text)
    start = text.index(evidence) if evidence else 0
    end = start + len(evidence) if evidence else len(text)
    return Hit(passage, rank, 1.0 / rank, 0.5, 0.0, ((start, end),))


def question(qid: str, lang: str, gold: list[str]) -> dict:
    return {"id": qid, "lang": lang, "q": f"question {qid}", "gold": gold}


def test_recall_mrr_evidence_and_refusals():
    report = Report()
    # right at 1 with the evidence sentence holding the answer
    report.record(question("a", "en", ["甲乙"]), [hit("甲乙。丙丁。", 1, "甲乙。"), hit("戊", 2)], refused=False)
    # right at 1, but the evidence sentence is another one; and refused although answerable
    report.record(question("b", "en", ["甲 乙"]), [hit("甲乙。丙丁。", 1, "丙丁。")], refused=True)
    # right at 3
    report.record(question("c", "zh", ["己"]), [hit("戊", 1), hit("庚", 2), hit("己庚", 3)], refused=False)
    # never found
    report.record(question("d", "zh", ["辛"]), [hit("戊", 1)], refused=False)
    # off-corpus: one recognised, one not
    report.record(question("e", "zh", []), [hit("戊", 1)], refused=True)
    report.record(question("f", "zh", []), [hit("戊", 1)], refused=False)
    m = report.metrics()
    assert m["n"] == 4
    assert m["recall@1"] == 0.5 and m["recall@3"] == 0.75 and m["recall@5"] == 0.75
    assert m["mrr@10"] == pytest.approx(round((1 + 1 + 1 / 3) / 4, 4))
    assert m["evidence@1"] == 0.25 and m["evidence@1_right_passage"] == 0.5  # a of a and b
    assert m["wrongly_refused"] == 1 and m["refused_share"] == 0.25
    assert m["off_corpus"] == {"n": 2, "recognised": 1, "recognised_share": 0.5}
    zh = report.summary()["by_language"]["zh"]
    assert zh["n"] == 2 and zh["recall@1"] == 0.0 and zh["recall@3"] == 0.5
    assert [miss["id"] for miss in report.summary()["missed"]] == ["c", "d"]


def test_squad_files_in_any_question_language_and_either_script(tmp_path):
    """`rag eval FILE --translation OTHER --lang de --convert t2s`: the parallel file's questions are
    asked too, under their language; the text and its answers are converted, the questions are not."""
    import json

    from rag.squad import read_squad, squad_questions

    def squad(question: str) -> dict:
        qa = {"id": "q1", "question": question, "answers": [{"text": "歐洲", "answer_start": 7}]}
        return {"data": [{"title": "梵文", "paragraphs": [{"context": "陸特和漢斯雷頓開創了歐洲對梵語的學術研究。",
                                                          "qas": [qa]}]}]}

    (tmp_path / "zh.json").write_text(json.dumps(squad("誰開創了梵語的學術研究？")), "utf-8")
    (tmp_path / "de.json").write_text(json.dumps(squad("Wer begründete die Sanskritforschung?")), "utf-8")
    articles = read_squad(tmp_path / "zh.json", tmp_path / "de.json", lang="de", convert="t2s")
    assert articles[0].contexts == ("陆特和汉斯雷顿开创了欧洲对梵语的学术研究。",)
    questions = {q["id"]: q for q in squad_questions(articles)}
    assert questions["q1:zh"]["q"] == "誰開創了梵語的學術研究？" and questions["q1:zh"]["gold"] == ["欧洲"]
    assert questions["q1:de"]["lang"] == "de" and questions["q1:de"]["q"].startswith("Wer")
    with pytest.raises(RagError, match="unknown OpenCC conversion"):
        read_squad(tmp_path / "zh.json", convert="x2y")
