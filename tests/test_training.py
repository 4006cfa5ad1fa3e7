"""The training module's plumbing, without training: its data folder, its cache, its fits on toy data."""

from dataclasses import replace

import numpy as np
import pytest

from rag import training
from rag.scoring import QuestionFacts


def test_a_missing_data_folder_stops_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        training.main(["--eval-dir", str(tmp_path / "nowhere")])
    assert stopped.value.code == 2
    message = capsys.readouterr().err
    assert message.count("\n") == 1 and "nowhere" in message and "--eval-dir" in message


def test_the_data_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_EVAL_DIR", str(tmp_path))
    assert training.default_eval_dir() == tmp_path
    monkeypatch.delenv("RAG_EVAL_DIR")
    assert training.default_eval_dir() == training.ROOT.parent / "shared" / "eval"


def test_cached_samples_and_vectors_read_back_as_they_were(tmp_path):
    """The cache is plain arrays and JSON (no pickle), and a cached run gives the same weights: every
    value, type and shape comes back."""
    facts = QuestionFacts(True, False, 0.1 + 0.2, 0.0, 10, 1 / 3, (0.5, 0.25), (1.0, 0.0), 0.7)
    samples = [training.Sample("doc", "zh", True, np.arange(42, dtype=np.float32).reshape(2, 21) / 7,
                               np.array([True, False]), facts, for_evidence=True,
                               sentences=[(np.ones((3, 12), np.float32) / 3, np.array([False, True, False]))],
                               says=np.array([[True, False, True], [False, False, True]])),
               training.Sample("other", "en", False, np.zeros((1, 21), np.float32), np.array([False]),
                               replace(facts, general_coverage=(0.0,), unit_coverage=(0.0,)), for_ranking=False,
                               says=np.array([[False, True]]))]
    training.save_samples(tmp_path, "cmrc_8", samples)
    assert {p.suffix for p in tmp_path.iterdir()} == {".npz", ".json"}
    back = training.load_samples(tmp_path, "cmrc_8")
    assert [(s.group, s.lang, s.answerable, s.facts, s.for_ranking, s.for_evidence) for s in back] == [
        (s.group, s.lang, s.answerable, s.facts, s.for_ranking, s.for_evidence) for s in samples]
    assert len(back[0].sentences) == 1 and back[1].sentences == []
    pairs = [(s.features, b.features) for s, b in zip(samples, back, strict=True)] + [
        (s.labels, b.labels) for s, b in zip(samples, back, strict=True)] + [
        (samples[0].sentences[0][i], back[0].sentences[0][i]) for i in (0, 1)] + [
        (s.says, b.says) for s, b in zip(samples, back, strict=True)]
    for x, y in pairs:
        assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
    assert training.load_samples(tmp_path, "drcd_8") is None

    memo = {("q", "谁？"): np.arange(3, dtype=np.float32), ("p", "文本"): np.ones(3, np.float32)}
    training.save_vectors(tmp_path, memo)
    read = training.load_vectors(tmp_path)
    assert list(read) == list(memo) and all(read[k].tolist() == memo[k].tolist() for k in memo)
    assert training.load_vectors(tmp_path / "none") == {}


def test_the_near_topic_check_reads_the_rankers_best_three():
    """A sample is refused by the check when a kind of fact it asks for is said by none of the
    ranker's three best candidates, as answer.answer decides."""
    from rag.scoring import Logistic

    facts = QuestionFacts(True, False, 0.5, 0.0, 10, 0.0, (0.5,) * 4, (1.0,) * 4, 0.7)
    features = np.zeros((4, 21), np.float32)
    features[:, 0] = [0.6, 0.9, 0.8, 0.7]  # the ranker's order: rows 1, 2, 3, then 0
    ranker = Logistic(tuple(f"f{i}" for i in range(21)), (1.0,) + (0.0,) * 20, 0.0)
    sample = training.Sample("doc", "en", True, features, np.array([True, False, False, False]), facts,
                             says=np.array([[True], [False], [False], [False]]))
    assert sample.unsaid(ranker)  # only row 0 says it, and it is fourth
    sample.says[3, 0] = True
    assert not sample.unsaid(ranker)  # row 3 is third
    assert not training.Sample("doc", "en", True, features, sample.labels, facts).unsaid(ranker)  # asks for none
    with pytest.raises(ValueError):
        training.Sample("doc", "en", True, features, sample.labels, facts, says=np.ones(4, bool))


def test_a_cached_plan_is_not_run_again(tmp_path):
    facts = QuestionFacts(True, False, 0.5, 0.0, 10, 0.0, (0.5,), (1.0,), 0.7)
    sample = training.Sample("doc", "zh", True, np.zeros((1, 21), np.float32), np.array([True]), facts)
    runs = []
    plans = {"cmrc 8": lambda: runs.append(1) or [sample]}
    training.gather(plans, tmp_path / "train", None)
    read = training.gather(plans, tmp_path / "train", None)
    assert runs == [1] and read["cmrc 8"][0].facts == facts


def test_the_listwise_fit_puts_the_right_candidate_first():
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(40):
        x = rng.standard_normal((5, 2))
        y = np.zeros(5, bool)
        y[int(np.argmax(x[:, 0]))] = True  # the first feature decides; the second is noise
        groups.append((x, y))
    model = training.fit_listwise(groups, ("signal", "noise"), l2=0.1, unpenalised=())
    assert model.coef[0] > 5 * abs(model.coef[1])
    excluded = training.fit_listwise(groups, ("signal", "noise"), l2=0.1, unpenalised=(), excluded=("noise",))
    assert excluded.features == ("signal", "noise") and excluded.coef[1] == 0.0


def test_a_feature_a_group_leaves_out_has_no_weight_in_the_shipped_model():
    from rag.scoring import load_weights

    weights = load_weights.__wrapped__()  # (not the cached load)
    for group, names in training.LEFT_OUT.items():
        model = weights["confidence"][group]
        assert all(model.coef[model.features.index(name)] == 0.0 for name in names), group
    xx = weights["confidence"]["xx"]
    assert xx.coef[xx.features.index("lead_over_corpus")] != 0.0  # learned where it helps
