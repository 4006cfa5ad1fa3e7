"""Name and term bridges from English questions to the Chinese text (no model needed)."""

import unicodedata

import pytest

from rag.bridge import (
    Dictionary,
    PinyinNames,
    corpus_glosses,
    pypinyin_syllables,
    spell_corpus,
    split_syllables,
    syllables,
)
from tests.conftest import ARTICLE

TEXT = ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def names():
    return PinyinNames(spell_corpus([TEXT]))


@pytest.mark.parametrize("question, name", [
    ("What did Sun Huaqin propose for SMEs?", "孙华芹"),
    ("what did sun hua qin say", "孙华芹"),
    ("Huaqin Sun", "孙华芹"),
    ("Sūn Huáqín", "孙华芹"),
    ("sun1 hua2 qin2", "孙华芹"),
    ("SunHuaqin", "孙华芹"),
    ("Which company does Zhang Tianren chair?", "张天任"),
    ("What is Xu Guanju's position?", "徐冠巨"),
    ("Yu Xubo", "于旭波"),
    ("What did minister Li Lecheng say?", "李乐成"),
    ("Who took the photo of Zhang Fan?", "张帆"),
])
def test_pinyin_names(names, question, name):
    assert names.find(question) == [name]


def test_english_words_are_not_names(names):
    assert names.find("How can he fan the men who sing") == []
    assert names.find("What is the capital of France?") == []


def test_packaged_syllables_are_pypinyins():
    assert syllables() == pypinyin_syllables()


def test_syllable_split():
    assert split_syllables("huaqin") == ["hua", "qin"]
    assert split_syllables("xian") == ["xian"]
    assert split_syllables("smes") is None


@pytest.mark.parametrize("question, word", [
    ("small and medium enterprises", "中小企业"),
    ("What about SMEs?", "中小企业"),
    ("machine tools", "机床"),
    ("risk compensation fund", "基金"),
    ("intelligent manufacturing talent", "人才"),
])
def test_dictionary_terms(question, word):
    assert word in Dictionary(corpus_glosses(TEXT)).bridge(question)[0]


def test_dictionary_keeps_only_corpus_words():
    assert Dictionary(corpus_glosses(TEXT)).bridge("subsidy for bananas")[0] == []


def test_words_the_dictionary_knows_but_the_corpus_lacks():
    dictionary = Dictionary(corpus_glosses({"温室", "机床"}))
    found, reached = dictionary.bridge("Which greenhouse gas do machine tools emit?")
    # "greenhouse" reaches 温室; "gas" and "emit" are CC-CEDICT words the corpus has none of
    assert dictionary.absent("Which greenhouse gas do machine tools emit?", reached) == (2, 5)
    # a word the dictionary does not know ("zorblax") says nothing; a reached one is left out
    assert dictionary.absent("zorblax emit", set()) == (1, 2)
    assert dictionary.absent("zorblax emit", {"emit"}) == (0, 2)


def test_pinyin_words_of_a_question():
    assert PinyinNames.spelling_words("How old is Zhang Fan, said Sun?") == {"zhang", "fan", "sun"}


def test_a_word_that_reaches_nothing_tries_its_stem():
    glosses = corpus_glosses({"拦截", "开发"})
    assert "拦截" in Dictionary(glosses).bridge("How many interceptions?")[0]  # interception -> intercept
    assert "开发" in Dictionary(glosses).bridge("the developer")[0]  # developer -> develop
    # a word that reaches something keeps to it: "interception" -> 阻留 (and not intercept's 拦截)
    assert Dictionary(corpus_glosses({"阻留", "拦截"})).bridge("interception")[0] == ["阻留"]


def test_names_with_rare_characters_are_spelled():
    # Extension A (䶮) and Extension E (𬀩) characters are Han too: a name holding one is found
    names = PinyinNames(spell_corpus(["记者陈䶮报道，李𬀩表示同意。"]))
    assert names.find("What did Chen Yan report?") == ["陈䶮"]
    assert names.find("Li Wei agreed") == ["李𬀩"]


def test_aliases_of_rare_names():
    from rag.glossary import text_aliases

    assert text_aliases(["李𬀩科技（Liwei Tech）成立于2020年"]) == {"liwei tech": ["李𬀩科技"]}


@pytest.mark.parametrize("question, word", [
    ("¿Qué decide el Parlamento?", "议会"),  # Spanish: the same word
    ("¿Cuál es su complejidad?", "复杂性"),  # -dad -> -ty: complexity
    ("Wie hoch ist die Temperatur?", "温度"),  # German: closest in spelling, temperature
    ("Какая технология?", "技术"),  # Russian, read in Latin letters: technology
    ("Ce universitate?", "大学"),  # Romanian
    ("डॉक्टर कौन थे?", "医生"),  # Hindi, its vowel signs kept in the word: doctor
])
def test_another_language_reaches_english_words_spelled_alike(question, word):
    dictionary = Dictionary(corpus_glosses({"议会", "复杂性", "温度", "技术", "大学", "医生", "死"}))
    assert word in [zh for _, found in dictionary.cognate_groups(question) for zh in found]


def test_short_words_are_never_taken_for_english_ones():
    # German "die" (the) is CC-CEDICT's "to die" -> 死; no word under five letters is tried
    assert Dictionary(corpus_glosses({"死"})).cognate_groups("Wann kam die Zeit?") == []


def test_a_vietnamese_question_reaches_chinese_words_by_their_sino_vietnamese_reading():
    dictionary = Dictionary(corpus_glosses({"国歌", "系统", "演员", "实现", "大学"}))
    groups = dictionary.sino_vietnamese_groups("Diễn viên nào đã thực hiện ngôn ngữ ký hiệu cho Quốc Ca?")
    assert groups == [("Diễn viên", ["演员"]), ("thực hiện", ["实现"]), ("Quốc Ca", ["国歌"])]
    # decomposed accents (as some keyboards type them) read the same
    assert dictionary.sino_vietnamese_groups(unicodedata.normalize("NFD", "Hệ thống")) == [("Hệ thống", ["系统"])]


@pytest.mark.parametrize("old, new", [("văn hoá", "văn hóa"), ("thuỷ lợi", "thủy lợi"), ("kỹ thuật", "kĩ thuật"),
                                      ("lý luận", "lí luận")])
def test_either_vietnamese_spelling_reads_the_same(old, new):
    # the tone mark on either vowel ("hoá", "hóa"), and "y" or "i" after a consonant ("kỹ", "kĩ")
    dictionary = Dictionary(corpus_glosses({"文化", "水利", "技术", "理论"}))
    assert dictionary.sino_vietnamese_groups(old)[0][1] == dictionary.sino_vietnamese_groups(new)[0][1] != []
    # one syllable alone is never taken for a word: "học" is 学 and much else
    assert dictionary.sino_vietnamese_groups("Ai học?") == []


def test_a_korean_question_reaches_chinese_words_by_their_sino_korean_reading():
    dictionary = Dictionary(corpus_glosses({"制造业", "中小企业", "政府", "报告", "利益", "权利", "技术"}))
    # a word is read from its start, reading by reading, up to its particle or ending
    groups = dictionary.sino_korean_groups("중소기업은 정부보고에서 어떤 기술을 제안했나요?")
    assert groups == [("중소기업", ["中小企业"]), ("정부", ["政府"]), ("보고", ["报告"]), ("기술", ["技术"])]
    # (the table reads traditional characters: simplified 术 alone would be read 출)
    # the initial-sound rule: 利 opens a word as 이, is 리 inside one
    assert dictionary.sino_korean_groups("이익은") == [("이익", ["利益"])]
    assert dictionary.sino_korean_groups("권리는") == [("권리", ["权利"])]
    assert dictionary.sino_korean_groups("그것은 어떻게 되나요?") == []


@pytest.mark.parametrize("question", [
    "중소기업을 위해",  # for: not 危害
    "중소기업에 대해",  # about: not 大海
    "가장 큰 기업은",  # most: not 家长
    "투자하면",  # if one invests: 投资, then the verb's ending, not 下面
    "제조업인가요",  # is it manufacturing: not 认可
    "기업이랑",  # with firms: not 伊朗
])
def test_korean_grammar_and_endings_are_not_read_as_chinese_words(question):
    dictionary = Dictionary(corpus_glosses({"危害", "大海", "家长", "下面", "认可", "伊朗", "投资", "制造业", "企业"}))
    reached = {zh for _, found in dictionary.sino_korean_groups(question) for zh in found}
    assert reached <= {"投资", "制造业", "企业"}, reached


def test_korean_reads_bu_before_d_and_j_and_ryul_after_a_vowel():
    dictionary = Dictionary(corpus_glosses({"不动产", "不足", "规律"}))
    assert [found for _, found in dictionary.sino_korean_groups("부동산은 부족하고 규율은")] == [
        ["不动产"], ["不足"], ["规律"]]


def test_a_word_keeps_the_marks_written_on_its_letters():
    from rag.bridge import letter_runs

    assert letter_runs("सुपर बाउल 50 में?") == ["सुपर", "बाउल", "में"]  # vowel signs inside Hindi words
    assert letter_runs(unicodedata.normalize("NFD", "café l'été")) == [
        unicodedata.normalize("NFD", w) for w in ("café", "l", "été")]  # decomposed accents stay
    assert letter_runs("\u0301abc_def 3km²") == ["abc", "def", "km"]  # a stray mark, digits, "_" split
