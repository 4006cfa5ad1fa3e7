"""The pure scoring functions on small arrays."""

from dataclasses import replace

import numpy as np
import pytest

from rag import scoring
from rag.errors import ModelError
from rag.scoring import (
    PASSAGE_FEATURES,
    PASSAGE_REGISTRY,
    QUESTION_FEATURES,
    QUESTION_REGISTRY,
    SENTENCE_FEATURES,
    SENTENCE_REGISTRY,
    WEIGHTS_FILE,
    CandidateContext,
    Logistic,
    QuestionFacts,
    best_sentence_share,
    character_overlap,
    character_weights,
    confidence,
    holds_rarest,
    is_boilerplate,
    load_weights,
    number_match,
    passage_features,
    pick_evidence,
    question_features,
    score,
    sentence_features,
    term_coverage,
    unit_coverage,
    with_antecedent,
)


def column(table, name, names=PASSAGE_FEATURES):
    return table[:, names.index(name)]


def candidates():
    """Three candidates of one question."""
    return CandidateContext(
        passage_cos=np.array([0.8, 0.7, 0.9], np.float32), sentence_cos=np.array([0.85, 0.9, 0.8], np.float32),
        bm25=np.array([2.0, 0.0, 4.0], np.float32), coverage=np.array([0.5, 0.0, 1.0], np.float32),
        characters=np.zeros(3, np.float32), named=np.array([1, 0, 0], np.float32),
        lengths=np.array([100, 200, 300], np.float32), boilerplate=np.zeros(3, np.float32),
        rarest=np.zeros(3, np.float32), numbers=np.zeros(3, np.float32), sentence_coverage=np.zeros(3, np.float32),
        sentence_characters=np.array([0.5, 0.0, 1.0], np.float32))


def test_passage_features_compare_each_candidate_with_the_best():
    f = passage_features(candidates())
    assert f.shape == (3, len(PASSAGE_FEATURES))
    assert column(f, "passage_gap") == pytest.approx([-0.1, -0.2, 0.0])
    assert column(f, "sentence_gap") == pytest.approx([-0.05, 0.0, -0.1])
    assert column(f, "bm25") == pytest.approx([0.5, 0.0, 1.0])  # normalised to the best candidate
    assert column(f, "bm25_z").mean() == pytest.approx(0.0, abs=1e-5)
    assert column(f, "sentence_characters_z").mean() == pytest.approx(0.0, abs=1e-5)
    assert passage_features(CandidateContext(*(np.zeros(0, np.float32),) * 12)).shape == (0, len(PASSAGE_FEATURES))


def test_score_and_evidence_follow_the_weights():
    model = Logistic(("a", "b"), (2.0, -1.0), 0.5)
    table = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.2]], np.float32)
    assert score(table, model) == pytest.approx([2.5, -0.5, 2.3])
    assert pick_evidence(table, model, margin=0.5) == [0, 2]  # the runner-up is within 0.5
    assert pick_evidence(table, model, margin=0.1) == [0]
    assert pick_evidence(np.zeros((0, 2), np.float32), model, 0.5) == []


def test_term_coverage_is_idf_weighted():
    coverage = term_coverage(["孙华芹建议政府出台政策", "金融"], ["孙华芹", "金融"], [3.0, 1.0])
    assert coverage == pytest.approx([0.75, 0.25])
    assert term_coverage(["anything"], [], []) == pytest.approx([0.0])


def test_character_overlap_prefers_rare_characters():
    weights = character_weights("华芹", ["孙华芹建议", "中华文化", "中华民族"])
    assert weights["芹"] > weights["华"]
    assert character_overlap(["孙华芹"], weights) == pytest.approx([1.0])
    assert 0 < character_overlap(["中华"], weights)[0] < 0.5
    assert character_weights("What did she say?", ["x"]) == {}


def test_sentence_features_mark_the_first_and_the_gap():
    table = sentence_features("谁？", ["甲。", "乙乙。"], np.array([0.8, 0.9], np.float32), [], [], {})
    assert table.shape == (2, len(SENTENCE_FEATURES))
    assert column(table, "first", SENTENCE_FEATURES).tolist() == [1.0, 0.0]
    assert column(table, "gap", SENTENCE_FEATURES) == pytest.approx([-0.1, 0.0])


def test_sentence_features_weigh_terms_by_how_few_sentences_hold_them():
    texts = ["曼宁是四分卫。", "曼宁在1998年入选。", "曼宁也参加了超级碗。"]
    table = sentence_features("曼宁哪一年入选？", texts, np.zeros(3, np.float32), ["曼宁", "入选"], [1.0, 1.0], {})
    local = column(table, "local_coverage", SENTENCE_FEATURES)
    assert local.argmax() == 1 and local[0] < column(table, "coverage", SENTENCE_FEATURES)[0]
    assert column(table, "time_asked", SENTENCE_FEATURES).tolist() == [0.0, 1.0, 0.0]
    assert column(table, "number_asked", SENTENCE_FEATURES).tolist() == [0.0, 0.0, 0.0]
    # the same for the question's characters: 曼 and 宁 are in every sentence, 入 and 选 in one
    table = sentence_features("曼宁哪一年入选？", texts, np.zeros(3, np.float32), [], [],
                              character_weights("曼宁哪一年入选？", texts))
    local = column(table, "local_characters", SENTENCE_FEATURES)
    assert local.argmax() == 1 and local[0] < 0.1 * local[1]  # 曼宁 alone counts for little
    assert column(table, "local_characters_gap", SENTENCE_FEATURES).max() == 0.0


def test_a_number_question_marks_sentences_with_numbers():
    texts = ["The basin is large.", "这一盆地达 7,000,000平方公里。"]
    table = sentence_features("How many square kilometers is the basin?", texts, np.zeros(2, np.float32), [], [], {})
    assert column(table, "number_asked", SENTENCE_FEATURES).tolist() == [0.0, 1.0]


def test_bylines_are_boilerplate():
    assert is_boilerplate("▶ 本报记者 罗晓燕") and is_boilerplate("新华社记者 刘颖/摄")
    assert not is_boilerplate("孙华芹建议政府出台更加普惠的支持政策，推动人工智能产业实现均衡发展。")


def test_a_sentence_pointing_back_is_cited_with_the_one_before():
    texts = ["培顿·曼宁成为首位带领两支球队进入超级碗的四分卫。", "他也以 39 岁高龄参加超级碗。",
             "此外，比赛在圣克拉拉举行。"]
    spans = [(0, 25), (25, 40), (40, 54)]
    assert with_antecedent(spans, texts, 1) == (0, 40)  # "他" needs 培顿·曼宁
    assert with_antecedent(spans, texts, 2) == (40, 54)  # 此外 ("besides") points nowhere
    assert with_antecedent(spans, texts, 0) == (0, 25)  # nothing before the first
    assert with_antecedent([(0, 2), (3, 24)], ["A.", "It was built in 1890."], 1) == (0, 24)


def test_the_confidence_weighs_the_best_passage_against_the_background():
    table = passage_features(CandidateContext(np.array([0.9, 0.8], np.float32), np.array([0.9, 0.8], np.float32),
                                              np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), np.array([50, 50]),
                                              np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)))
    facts = QuestionFacts(has_terms=False, unknown_name=False, background_cos=0.75, absent_share=0.5,
                          corpus_size=400, general_absent=0.25, general_coverage=(0.6, 0.1),
                          unit_coverage=(0.5, 1.0), corpus_cos=0.8)
    row = question_features(table, np.array([1.0, 0.0]), facts)[None]
    assert column(row, "background_cos", QUESTION_FEATURES) == pytest.approx([0.75])
    assert column(row, "lead_over_background", QUESTION_FEATURES) == pytest.approx([0.15])
    assert column(row, "absent_share", QUESTION_FEATURES) == pytest.approx([0.5])
    # the folder's size, and the top candidate's share of the generally weighed terms
    assert column(row, "log_size", QUESTION_FEATURES) == pytest.approx([np.log(400)])
    assert column(row, "general_coverage", QUESTION_FEATURES) == pytest.approx([0.6])
    # and against the whole corpus: the best passage's lead over the question's mean cosine to it
    assert column(row, "lead_over_corpus", QUESTION_FEATURES) == pytest.approx([0.1])
    assert column(row, "general_absent", QUESTION_FEATURES) == pytest.approx([0.25])
    # the best-scored candidate's share, not the largest
    assert column(row, "unit_coverage", QUESTION_FEATURES) == pytest.approx([0.5])
    assert column(row, "top_score", QUESTION_FEATURES) == pytest.approx([1.0])
    assert column(row, "score_lead", QUESTION_FEATURES) == pytest.approx([1.0])
    assert column(row, "cos_over_tenth", QUESTION_FEATURES) == pytest.approx([0.1])  # (two candidates: the last)
    one = question_features(table[:1], np.array([2.0]), replace(facts, general_coverage=(0.6,), unit_coverage=(0.5,)))
    assert column(one[None], "score_lead", QUESTION_FEATURES) == pytest.approx([5.0])  # no runner-up: the cap
    assert column(one[None], "cos_over_tenth", QUESTION_FEATURES) == pytest.approx([0.0])


def test_weights_for_other_features_are_refused(tmp_path):
    """A feature renamed, added or removed without retraining has no right weight: the weights are refused."""
    import json

    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert load_weights(WEIGHTS_FILE)["confidence"]["en"].features == QUESTION_FEATURES
    changes = (("rank", lambda f: f[:-1] + ["renamed"]), ("confidence", lambda f: f[:-1]),
               ("evidence", lambda f: f + ["added"]), ("evidence", lambda f: f[:-1] + f[:1]))  # (last: a duplicate)
    for n, (task, change) in enumerate(changes):
        changed = json.loads(json.dumps(data))
        for model in changed[task].values():
            model["features"] = change(model["features"])
            extra = len(model["features"]) - len(model["coef"])
            model["coef"] = model["coef"][: len(model["features"])] + [0.0] * extra
        path = tmp_path / f"{n}.json"
        path.write_text(json.dumps(changed), encoding="utf-8")
        with pytest.raises(ModelError, match="retrain"):
            load_weights(path)


TASKS = (("rank", "PASSAGE_FEATURES", "PASSAGE_REGISTRY"), ("confidence", "QUESTION_FEATURES", "QUESTION_REGISTRY"),
         ("evidence", "SENTENCE_FEATURES", "SENTENCE_REGISTRY"))


@pytest.mark.parametrize("task, names, registry", TASKS)
def test_a_feature_renamed_in_the_code_without_retraining_is_refused(monkeypatch, task, names, registry):
    """The shipped weights against code whose feature (the first) has another name: load_weights refuses."""
    functions = dict(getattr(scoring, registry))
    first = next(iter(functions))
    renamed = {(f"{name}_v2" if name == first else name): fn for name, fn in functions.items()}
    monkeypatch.setattr(scoring, registry, renamed)
    monkeypatch.setattr(scoring, names, tuple(renamed))
    with pytest.raises(ModelError, match=f"{task} weights .*retrain.*{first}_v2"):
        load_weights.__wrapped__(WEIGHTS_FILE)  # (not the cached load)


def test_the_registries_name_every_feature_once():
    assert tuple(PASSAGE_REGISTRY) == PASSAGE_FEATURES and len(set(PASSAGE_FEATURES)) == len(PASSAGE_FEATURES)
    assert tuple(QUESTION_REGISTRY) == QUESTION_FEATURES and len(set(QUESTION_FEATURES)) == len(QUESTION_FEATURES)
    assert tuple(SENTENCE_REGISTRY) == SENTENCE_FEATURES and len(set(SENTENCE_FEATURES)) == len(SENTENCE_FEATURES)
    two = passage_features(candidates(), ("bm25_z", "passage_gap"))  # any features, in any order, by name
    assert two.tolist() == passage_features(candidates())[:, [PASSAGE_FEATURES.index("bm25_z"),
                                                              PASSAGE_FEATURES.index("passage_gap")]].tolist()


def scored(weights):
    """A question's candidate scores, confidence and evidence logits under ``weights``, with the
    tables built in the code's current feature order."""
    table = passage_features(candidates())
    scores = score(table, weights["rank"]["en"])
    facts = QuestionFacts(has_terms=True, unknown_name=False, background_cos=0.7, absent_share=0.0, corpus_size=30,
                          general_absent=0.1, general_coverage=(0.2, 0.4, 0.6), unit_coverage=(0.5, 0.5, 1.0),
                          corpus_cos=0.75)
    sure = confidence(question_features(table, scores, facts), weights["confidence"]["en"])
    sentences = sentence_features("How many points did Manning score in 2015?", ["manning scored 30 points.",
                                  "it was 2015.", "the game ended."], np.array([0.8, 0.7, 0.6], np.float32),
                                  ["manning", "points"], [2.0, 1.0], {})
    return scores.tolist(), sure, weights["evidence"]["en"].logit(sentences).tolist()


def test_weights_stored_in_another_order_apply_by_name(tmp_path):
    """The weights file lists each model's features in reverse (coefficients with them): the same scores."""
    import json

    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    for task in ("rank", "confidence", "evidence"):
        for model in data[task].values():
            model["features"], model["coef"] = model["features"][::-1], model["coef"][::-1]
    path = tmp_path / "reversed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    reordered = load_weights(path)
    assert reordered["rank"]["zh"].features == PASSAGE_FEATURES  # applied to the code's columns
    assert scored(reordered) == scored(load_weights())


def test_features_reordered_in_the_code_without_retraining_still_apply_by_name(monkeypatch):
    """Code that computes the same features in another order: each weight still goes to its feature."""
    before = scored(load_weights())
    for _, names, registry in TASKS:
        reversed_registry = dict(reversed(getattr(scoring, registry).items()))
        monkeypatch.setattr(scoring, registry, reversed_registry)
        monkeypatch.setattr(scoring, names, tuple(reversed_registry))
    weights = load_weights.__wrapped__(WEIGHTS_FILE)
    assert weights["evidence"]["en"].features == scoring.SENTENCE_FEATURES != SENTENCE_FEATURES
    after = scored(weights)
    assert after[0] == pytest.approx(before[0], abs=1e-5) and after[1] == pytest.approx(before[1], abs=1e-6)
    assert after[2] == pytest.approx(before[2], abs=1e-5)


def test_a_model_takes_its_weights_to_the_columns_of_their_names():
    model = Logistic(("a", "b", "c"), (1.0, 2.0, 3.0), 0.5)
    assert model.for_columns(("c", "a", "b")).coef == (3.0, 1.0, 2.0)
    for columns in (("a", "b"), ("a", "b", "d"), ("a", "b", "c", "c")):
        with pytest.raises(ModelError):
            model.for_columns(columns)


def test_best_sentence_share_counts_the_terms_one_sentence_holds():
    weights = {"manning": 2.0, "quarterback": 1.0, "oldest": 1.0}
    scattered = ["manning played.", "he was a quarterback.", "the oldest one."]
    together = ["manning was the oldest quarterback.", "nothing else."]
    assert best_sentence_share([scattered, together], weights).tolist() == [0.5, 1.0]
    assert best_sentence_share([["nothing here."]], weights).tolist() == [0.0]
    assert best_sentence_share([["manning"]], {}).tolist() == [0.0]


def test_number_match_counts_whole_numbers_the_question_names():
    texts = ["第49届超级碗", "第33届超级碗", "2049年", "平均每户规模是3.07人"]
    assert number_match("谁赢得了第 49 届超级碗？", texts).tolist() == [1.0, 0.0, 0.0, 0.0]
    assert number_match("What was the average household size, 3.07 or 49?", texts).tolist() == [0.5, 0.0, 0.0, 0.5]
    assert number_match("谁赢得了超级碗？", texts).tolist() == [0.0] * 4


def test_rarest_marks_the_texts_holding_the_rarest_term():
    assert holds_rarest(["孙华芹建议", "政府建议"], ["建议", "孙华芹"], [0.5, 2.0]).tolist() == [1.0, 0.0]
    assert holds_rarest(["x"], ["建议"], [0.0]).tolist() == [0.0]


def test_unit_coverage_counts_what_the_question_asks_about():
    """A passage that names the company but not the head count holds one of two units."""
    units = [("传化",), ("员工", "雇员")]
    texts = ["传化集团开发了自研大模型。", "传化集团有一万名员工。", "别的公司。"]
    assert unit_coverage(texts, units).tolist() == [0.5, 1.0, 0.0]
    assert unit_coverage(texts, units, missing=2).tolist() == [0.25, 0.5, 0.0]  # words the corpus lacks
    assert unit_coverage(texts, []).tolist() == [0.0, 0.0, 0.0]
