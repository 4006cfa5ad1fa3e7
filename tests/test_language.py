"""Which language a question is in, and whose weights and operating point it gets."""

import pytest

from rag import answer as answer_module
from rag.language import detect, model_group


@pytest.mark.parametrize(("question", "language"), [
    ("孙华芹提出了什么建议？", "zh"),
    ("孫華芹提出了什麼建議？", "zh"),  # traditional script: Chinese all the same
    ("What did Sun Huaqin propose for SMEs?", "en"),  # a name in pinyin does not make it another language
    ("What does 传化 do?", "en"),  # nor a Chinese name quoted inside
    ("Who?", "en"),  # too short to tell: English
    ("Was schlug Sun Huaqin für kleine und mittlere Unternehmen vor?", "de"),
    ("¿Qué propuso Sun Huaqin para las pymes?", "es"),
    ("Что предложил Сунь Хуацинь малому бизнесу?", "ru"),
    ("ماذا اقترح صن هواتشين للشركات الصغيرة؟", "ar"),
    ("Sun Huaqin đã đề xuất gì cho doanh nghiệp nhỏ?", "vi"),
    ("中国通用技術集団の主な事業は何ですか？", "ja"),  # half Han, but hiragana: Japanese, not Chinese
    ("孫華芹さんはどの会社で働いていますか？", "ja"),
    ("ユニクロ在中国有多少家店？", "zh"),  # a Japanese brand in katakana inside a Chinese question
    ("すき家在中国有多少家门店？", "zh"),  # or in hiragana
    ("《千と千尋の神隠し》的导演是谁？", "zh"),  # a Japanese title quoted
    ("通用技術集団の売上はいくらですか？", "ja"),
])
def test_detect(question, language):
    assert detect(question) == language


def test_a_question_is_moved_towards_chinese_by_its_languages_offset(monkeypatch, tmp_path):
    import json

    import numpy as np

    from rag import language

    stored = tmp_path / "offsets.json"
    stored.write_text(json.dumps({"model": "some-model", "offsets": {"de": [0.0, 0.4], "ru": [0.2, 0.0]}}),
                      encoding="utf-8")
    monkeypatch.setattr(language, "OFFSETS_FILE", stored)
    language.offsets.cache_clear()
    try:
        vector = np.array([0.6, 0.8], np.float32)
        moved = language.towards_chinese(vector, "de", "some-model")
        expected = np.array([0.6, 0.8 - language.SHIFT * 0.4])
        assert np.allclose(moved, expected / np.linalg.norm(expected)) and moved.dtype == np.float32
        assert language.towards_chinese(vector, "zh", "some-model") is vector  # Chinese: no offset
        # a language without an offset of its own is moved by the measured ones' mean
        shared = np.array([0.6 - language.SHIFT * 0.1, 0.8 - language.SHIFT * 0.2])
        assert np.allclose(language.towards_chinese(vector, "ko", "some-model"), shared / np.linalg.norm(shared))
        assert language.towards_chinese(vector, "de", "another-model") is vector  # another model's space
    finally:
        language.offsets.cache_clear()


def test_the_shipped_offsets_are_the_shipped_models():
    from rag.config import DEFAULT_MODEL
    from rag.language import OFFSETS_FILE, offsets
    from rag.scoring import load_weights

    model = load_weights()["background"]["model"]  # the model the weights were trained with
    shipped = offsets(model)
    assert OFFSETS_FILE.exists() and set(shipped) == {"en", "ar", "de", "el", "es", "hi", "ro", "ru", "th", "tr", "vi"}
    assert {len(v) for v in shipped.values()} == {len(load_weights()["background"]["mean"])}
    assert DEFAULT_MODEL == model  # the default model is the one they were measured for
    assert offsets(model + "#int8").keys() == shipped.keys()  # its int8 weights share its space


def test_an_unreadable_offsets_file_moves_nothing_and_says_so(monkeypatch, tmp_path, caplog):
    import numpy as np

    from rag import language

    broken = tmp_path / "offsets.json"
    broken.write_text('{"model": "some-model", "offs', encoding="utf-8")  # cut off while written
    monkeypatch.setattr(language, "OFFSETS_FILE", broken)
    language.offsets.cache_clear()
    try:
        vector = np.array([0.6, 0.8], np.float32)
        assert language.towards_chinese(vector, "de", "some-model") is vector
        assert "unreadable" in caplog.text
    finally:
        language.offsets.cache_clear()


def test_every_other_language_shares_one_group_of_weights():
    assert [model_group(x) for x in ("zh", "en", "de", "ru", "vi")] == ["zh", "en", "xx", "xx", "xx"]


def test_a_language_measured_apart_has_its_own_bar(monkeypatch):
    weights = {"answer_threshold": {"en": 0.2, "zh": 0.3, "xx": 0.25, "de": 0.1}}
    monkeypatch.setattr(answer_module, "load_weights", lambda: weights)
    assert answer_module.is_answered(0.15, "de", "xx")  # German's own bar, 0.1
    assert not answer_module.is_answered(0.15, "pt", "xx")  # no bar of its own: the group's, 0.25
    assert answer_module.is_answered(0.22, "en", "en") and not answer_module.is_answered(0.22, "zh", "zh")


def test_another_language_reaches_the_text_by_names_not_by_the_english_dictionary(settings, fake_encoder):
    from rag.retriever import Retriever

    retriever = Retriever(settings, fake_encoder)
    german = retriever.analyse("Was schlug Sun Huaqin für die Unternehmen vor?")
    assert german.language == "de" and german.lang == "en"  # read like English: no Chinese word cut
    assert "孙华芹" in german.names  # the name in pinyin carries over
    assert dict(german.asked) == {"孙华芹": "Sun Huaqin"}  # "die" did not reach 死 through CC-CEDICT
    assert not german.unknown_name  # German capitalises nouns: "Unternehmen" is no name
    english = retriever.analyse("What did Sun Huaqin propose for enterprises?")
    assert english.language == "en" and "企业" in english.terms


def test_a_word_with_accents_lends_no_latin_pieces_to_the_terms(settings, fake_encoder):
    from rag.retriever import Retriever

    # the corpus holds a Latin "e" and "t" and the token "5g": the ASCII pieces of "Haushaltsgröße"
    # and "heißt" used to reach the first two (English keeps lower-case words, so it shows them)
    (settings.corpus_dir / "latin.md").write_text("# 网络\n\n运营商测试了 5G e t 网络。\n", encoding="utf-8")
    retriever = Retriever(settings, fake_encoder)
    query = retriever.analyse("What does Haushaltsgröße mean, and what heißt that?")
    assert query.language == "en" and not {"e", "t", "haushaltsgr", "hei"} & set(query.terms)
    # a number with letters is one token, as the corpus cuts it ("5G", not "5" and "G")
    assert "5g" in retriever.analyse("Wann kam 5G für Haushalte in München?").terms


def test_a_lower_case_latin_word_of_another_language_is_no_term(settings, fake_encoder):
    from rag.retriever import Retriever

    # the corpus quotes "von" and "ein" in a name and a title, and a brand "Sky"
    text = "# 人物\n\n路德维希·冯·米塞斯（Ludwig von Mises）写了 ein 书，Sky 公司出版，讲 x86。\n"
    (settings.corpus_dir / "latin.md").write_text(text, encoding="utf-8")
    retriever = Retriever(settings, fake_encoder)
    german = retriever.analyse("Welches Buch von Sky schrieb ein Ökonom über x86?")
    assert german.language == "de" and not {"von", "ein"} & set(german.terms)
    assert {"sky", "x86"} <= set(german.terms)  # a capital or a digit: quoted from the text
    opening = retriever.analyse("Von wem ist das Buch über Sky?")  # the capital opening a question says nothing
    assert opening.language == "de" and "von" not in opening.terms and "sky" in opening.terms
    english = retriever.analyse("Which book did Ludwig von Mises write?")  # English keeps its own rules
    assert "von" in english.terms and "mises" in english.terms


def test_another_language_reaches_terms_through_english_words_spelled_alike(settings, fake_encoder):
    from rag.retriever import Retriever

    query = Retriever(settings, fake_encoder).analyse("¿Qué tecnología propone Sun Huaqin para la industria?")
    assert query.language == "es" and {"技术", "工业"} <= set(query.terms)
    asked = dict(query.asked)  # the reading aid shows the question's own word for what it reached
    assert asked["技术"] == "tecnología" and asked["工业"] == "industria" and asked["孙华芹"] == "Sun Huaqin"


def test_a_vietnamese_question_reaches_terms_through_sino_vietnamese_readings(settings, fake_encoder):
    from rag.retriever import Retriever

    query = Retriever(settings, fake_encoder).analyse("Sun Huaqin đã đề xuất gì cho ngành chế tạo?")
    assert query.language == "vi" and "制造" in query.terms  # chế tạo: 制造
    assert dict(query.asked)["制造"] == "chế tạo"


def test_a_korean_question_reaches_terms_through_sino_korean_readings(settings, fake_encoder):
    from rag.retriever import Retriever

    query = Retriever(settings, fake_encoder).analyse("쑨화친은 중소기업을 위해 무엇을 제안했습니까?")
    assert query.language == "ko" and "中小企业" in query.terms and "孙华芹" in query.names
    assert dict(query.asked)["中小企业"] == "중소기업"


def test_a_japanese_question_s_kanji_reach_the_chinese_words_they_write(settings, fake_encoder):
    from rag.retriever import Retriever

    query = Retriever(settings, fake_encoder).analyse("通用技術集団の主な事業は何ですか？")  # 技術, 団
    assert query.language == "ja" and {"技术", "集团"} <= set(query.terms)


def test_names_cc_cedict_knows_reach_the_text_from_any_language_with_capitals(settings, fake_encoder):
    from rag.retriever import Retriever

    text = "# 特斯拉\n\n尼古拉·特斯拉于1856年出生，后来移居美国。\n"
    (settings.corpus_dir / "tesla.md").write_text(text, encoding="utf-8")
    retriever = Retriever(settings, fake_encoder)
    for question, written in (("Wann wurde Nikola Tesla geboren?", "Nikola Tesla"),
                              ("Когда родился Никола Тесла?", "Никола Тесла")):  # Cyrillic, read as "Nikola Tesla"
        query = retriever.analyse(question)
        assert query.language not in ("en", "zh") and "特斯拉" in query.names, question
        assert dict(query.asked)["特斯拉"] == written  # the reading aid shows the question's own spelling
        assert not query.unknown_name and query.absent_share == 0.0
    # a name the dictionary knows and the corpus lacks: what "unknown name" means outside English
    luther = retriever.analyse("Wann hat Martin Luther die Thesen veröffentlicht?")
    assert luther.unknown_name and luther.absent_share == 1.0 and luther.missing_units == 1


def test_proper_names_only_where_capitals_mark_them():
    from rag.bridge import proper_names

    assert proper_names("Martin Luther sinh năm nào?") == [("Martin Luther", ["马丁·路德", "路德"])]  # opens it
    assert proper_names("Paris ist schön") == []  # one capitalised word opening a question: no name
    assert proper_names("Die Stadt liegt am Fluss") == []  # German nouns are capitalised, and no names
    assert proper_names("पेरिस कहाँ है?") == []  # no capitals: every word would be tried
