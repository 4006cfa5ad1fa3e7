"""Chinese names as other scripts write them, found by their sound (no model needed)."""

import pytest

from rag.bridge import letter_runs
from rag.transcribe import TranscribedNames, person_names, sound_key
from tests.conftest import ARTICLE

PEOPLE = {"孙华芹": "sun hua qin", "张帆": "zhang fan", "徐冠巨": "xu guan ju", "于旭波": "yu xu bo"}


@pytest.mark.parametrize("question, spelled", [
    ("सुन हुआछिन ने क्या प्रस्ताव रखा?", "सुन हुआछिन"),  # Hindi
    ("ما هي توصية سون هواتشين للشركات الصغيرة؟", "سون هواتشين"),  # Arabic: few vowels written
    ("Τι πρότεινε η Σουν Χουατσίν;", "Σουν Χουατσίν"),  # Greek: Χ is h
    ("쑨화친은 무엇을 제안했습니까?", "쑨화친은"),  # Korean: a particle joined to the name
    ("ซุนหัวฉินเสนออะไร?", "ซุนหัวฉินเสนออะไร"),  # Thai: no spaces between words
])
def test_a_name_written_in_another_script_is_found_by_its_sound(question, spelled):
    assert TranscribedNames(PEOPLE).find(letter_runs(question)) == [(spelled, ["孙华芹"])]


@pytest.mark.parametrize("question", ["झांग फैन ने क्या कहा?", "ماذا قال تشانغ فان؟", "Τι είπε ο Τζανγκ Φαν;"])
def test_every_script_writes_zhang_fan_with_the_same_consonants(question):
    assert TranscribedNames(PEOPLE).find(letter_runs(question))[0][1] == ["张帆"]


@pytest.mark.parametrize("question, spelled, name", [
    ("ماذا قال شي جين بينغ؟", "شي جين بينغ", "习近平"),  # Arabic: the given name a word a syllable
    ("Ντενγκ Σιαοπίνγκ;", "Ντενγκ Σιαοπίνγκ", "邓小平"),  # Greek writes d as ντ
    ("Γουάνγκ Τζιενγκουό;", "Γουάνγκ Τζιενγκουό", "王建国"),  # and w as γου
    ("ल्यू च्यान च्वन?", "ल्यू च्यान च्वन", "吕建军"),  # pinyin's ü (lv) is a vowel
    ("장훙웨이는 무엇을 했나요?", "장훙웨이는", "张宏伟"),  # "ngh" before a vowel is ng, then h
])
def test_spellings_each_script_has_for_some_sounds(question, spelled, name):
    people = {"习近平": "xi jin ping", "邓小平": "deng xiao ping", "王建国": "wang jian guo", "吕建军": "lv jian jun",
              "张宏伟": "zhang hong wei"}
    assert TranscribedNames(people).find(letter_runs(question)) == [(spelled, [name])]


def test_a_sound_two_people_share_names_neither():
    # 唐明 and 邓明 read alike (TN MN); and an ordinary Korean word with their family name's sound
    # ("어떤", which) followed by one that starts like a given name is no name
    names = TranscribedNames({"唐明": "tang ming", "邓明": "deng ming", "丁宁": "ding ning"})
    assert names.find(letter_runs("탕 밍")) == []
    assert names.find(letter_runs("어떤 정책을 제안했습니까?")) == []


def test_a_korean_particle_is_read_off_a_name_not_allowed_after_any_word():
    names = TranscribedNames(PEOPLE)
    assert names.find(letter_runs("장판의 제안은?")) == [("장판의", ["张帆"])]
    assert names.find(letter_runs("장판이라고 했나요?")) == [("장판이라고", ["张帆"])]
    # "중 분류가" (the middle category) reads j-ng, b-n-l-g: 张帆's classes with "류가" after them
    assert names.find(letter_runs("중국 제조업 체계에는 공업 중 분류가 몇 개 있나요?")) == []
    assert names.find(letter_runs("공업 중분류가 몇 개 있나요?")) == []
    # particles stacked, or after 씨; and a name ending as a particle does (만, 랑) is still found
    assert names.find(letter_runs("장판에게는 무엇을?")) == [("장판에게는", ["张帆"])]
    assert names.find(letter_runs("장판씨는?")) == [("장판씨는", ["张帆"])]
    assert names.find(letter_runs("장판씨")) == [("장판씨", ["张帆"])]
    people = TranscribedNames({"张晓曼": "zhang xiao man", "刘晓朗": "liu xiao lang"})
    assert people.find(letter_runs("장샤오만 회장은")) == [("장샤오만", ["张晓曼"])]
    assert people.find(letter_runs("류샤오랑 교수는")) == [("류샤오랑", ["刘晓朗"])]


def test_consonant_classes_are_shared_across_spellings():
    assert sound_key("zhang fan", pinyin=True) == sound_key("jhamg phain") == sound_key("tshngh fn") == "CNPN"
    assert sound_key("Choyatsin", script="GREEK") == sound_key("hua qin", pinyin=True) == "HCN"


def test_ordinary_words_and_other_scripts_are_not_names():
    names = TranscribedNames(PEOPLE)
    for question in ("आप कैसे हैं? मुझे संस्थान के बारे में बताइए", "ما هو الذكاء الاصطناعي في التصنيع؟",
                     "Τι είναι η τεχνητή νοημοσύνη;", "Was schlug Sun Huaqin vor?", "Что предложила Сунь Хуацинь?"):
        assert names.find(letter_runs(question)) == [], question  # (Latin and Cyrillic: pinyin and Palladius)
    # 于旭波, "yu xu bo", keeps two consonant classes: too few to tell a name from a word
    assert TranscribedNames({"于旭波": "yu xu bo"}).find(letter_runs("यू शू बो")) == []


def test_a_korean_name_is_also_found_as_korean_writes_it():
    names = TranscribedNames(PEOPLE)
    # y, x, b: too few consonants for the sound key, but Korean writes 于旭波 one way, 위쉬보
    assert names.find(letter_runs("위쉬보는 공작기계를 무엇이라고 표현하나요?")) == [("위쉬보는", ["于旭波"])]
    assert names.find(letter_runs("쑨 화친은 무엇을 제안했나요?")) == [("쑨 화친은", ["孙华芹"])]
    # a name ending as a particle does (伟 웨이, 曼 만), with a particle after it
    people = TranscribedNames({"王伟东": "wang wei dong", "张晓曼": "zhang xiao man"})
    assert people.find(letter_runs("왕웨이둥은 누구인가요?")) == [("왕웨이둥은", ["王伟东"])]
    assert people.find(letter_runs("장샤오만을 만났나요?")) == [("장샤오만을", ["张晓曼"])]
    # names of two characters are not looked for so: 袁华 is 위안화, the yuan; 蔡娜 차이나, China
    people = TranscribedNames({"袁华": "yuan hua", "蔡娜": "cai na", "刘颖": "liu ying"})
    assert people.find(letter_runs("매출을 위안화로 환산하면? 메이드 인 차이나, 류잉은?")) == []


def test_the_article_s_people_are_found_by_jieba():
    people = person_names([ARTICLE.read_text(encoding="utf-8")])
    assert {"孙华芹", "张帆", "徐冠巨", "张天任", "于旭波"} <= people


def test_a_hindi_question_reaches_the_person_it_names(settings, fake_encoder):
    from rag.retriever import Retriever

    query = Retriever(settings, fake_encoder).analyse("सुन हुआछिन ने छोटे और मध्यम उद्यमों के लिए क्या प्रस्ताव रखा?")
    assert query.language == "hi" and "孙华芹" in query.names and "孙华芹" in query.terms
    assert dict(query.asked)["孙华芹"] == "सुन हुआछिन"  # the reading aid shows the question's own spelling


def test_greek_reads_nt_as_d_only_opening_a_word():
    names = TranscribedNames({"徐冠巨": "xu guan ju", "邓小平": "deng xiao ping"})
    assert names.find(letter_runs("Τι προτείνει ο Σου Γκουαντζιού;")) == [("Σου Γκουαντζιού", ["徐冠巨"])]
    assert names.find(letter_runs("Ντενγκ Σιαοπίνγκ")) == [("Ντενγκ Σιαοπίνγκ", ["邓小平"])]
