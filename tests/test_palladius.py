"""Chinese names as a Russian question writes them (Palladius) reach the text like pinyin."""

import pytest

from rag.palladius import ENDINGS, cyrillic, romanise, to_pinyin


@pytest.mark.parametrize(("pinyin", "written"), [
    ("sun", "сунь"), ("hua", "хуа"), ("qin", "цинь"), ("zhang", "чжан"), ("tian", "тянь"), ("ren", "жэнь"),
    ("zhe", "чжэ"), ("jiang", "цзян"), ("xu", "сюй"), ("si", "сы"), ("shi", "ши"), ("hui", "хуэй"),
    ("gui", "гуй"), ("yue", "юэ"), ("wei", "вэй"), ("guo", "го"), ("lie", "ле"), ("xiong", "сюн"),
])
def test_pinyin_syllables_in_palladius(pinyin, written):
    assert cyrillic(pinyin) == written


def test_cyrillic_names_read_back_as_pinyin():
    assert [to_pinyin(w) for w in ("Хуацинь", "Тяньжэнь", "Шэньчжэнь", "Хуавэй", "Сиань")] == [
        "huaqin", "tianren", "shenzhen", "huawei", "xian"]  # fewer, longer syllables: Xi'an is "xian"
    assert to_pinyin("Москва") is None and to_pinyin("Tesla") is None
    assert to_pinyin("Цзюань") == "juan" and to_pinyin("Чжуанцзы") == "zhuangzi"  # six-letter syllables


def test_a_declined_name_is_read_without_its_ending():
    readings = [romanise("Какая компания у Чжан Тяньжэня?", endings)[0] for endings in ENDINGS]
    assert "Какая компания у Zhang Tianren?" in readings
    question, back = romanise("Что предложила Сунь Хуацинь?")
    assert question == "Что предложила Sun Huaqin?" and back == {"Sun": "Сунь", "Huaqin": "Хуацинь"}


def test_a_russian_question_reaches_the_name_and_shows_its_own_spelling(settings, fake_encoder):
    from rag.retriever import Retriever

    retriever = Retriever(settings, fake_encoder)
    query = retriever.analyse("Что предложила Сунь Хуацинь малым и средним предприятиям?")
    assert query.language == "ru" and "孙华芹" in query.names
    assert dict(query.asked)["孙华芹"] == "Сунь Хуацинь"  # the reading aid shows the question's spelling
    declined = retriever.analyse("Что известно о компании Чжан Тяньжэня?")  # genitive: Тяньжэн-я
    assert declined.names == ("张天任",)


def test_ordinary_russian_words_are_not_names():
    # a word opening a question is capitalised whatever it is: only the first of a two-word name
    for question in ("Какая компания выпустила телевизор?", "Или это была чума?", "Сила тяжести какая?",
                     "Кто это? Куда он ушёл?"):
        assert all(romanise(question, endings)[1] == {} for endings in ENDINGS), question
    assert romanise("Сунь Хуацинь что предложила?")[0] == "Sun Huaqin что предложила?"
    assert to_pinyin("Ло") == "luo"  # the name's syllable (罗, 洛), not the interjection lo


def test_a_name_read_whole_is_not_cut(settings, fake_encoder):
    from rag.retriever import Retriever

    retriever = Retriever(settings, fake_encoder)
    for question in ("Какая компания у Сунь Хуацинь?", "Или это была чума?", "Сила тяжести какая?"):
        query = retriever.analyse(question)
        assert set(query.names) <= {"孙华芹"}, (question, query.names)
