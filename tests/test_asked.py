"""What a question asks for, and whether a passage can hold it (rag/asked.py)."""

import pytest

from rag.asked import ATTRIBUTES, asked_attribute, held_by_none, unsaid
from rag.language import detect


@pytest.mark.parametrize(("question", "language", "attribute"), [
    ("How old is Zhang Fan?", "en", "an age"),
    ("张帆今年多大？", "zh", "an age"),
    ("Wie alt ist Zhang Fan?", "de", "an age"),
    ("Zhang Fan bao nhiêu tuổi?", "vi", "an age"),
    ("¿Dónde nació Xu Guanju?", "es", "where or when they were born"),
    ("Когда родился Чжан Тяньжэнь?", "ru", "where or when they were born"),
    ("Quand Transfar a-t-il été fondé ?", "fr", "when or how it was founded"),
    ("通用技术集团成立于哪一年？", "zh", "when or how it was founded"),
    ("How many employees does SK Hynix have in China?", "en", "a head count"),
    ("Сколько сотрудников у SK Hynix в Китае?", "ru", "a head count"),
    ("传化集团去年营收多少？", "zh", "a revenue, profit or price"),
    ("Which university did Yu Xubo graduate from?", "en", "their schooling"),
    ("孙华芹喜欢吃什么？", "zh", "their tastes"),
    ("Which hotel should I book in Hangzhou?", "en", "a place to stay or eat"),
    ("What is Transfar's phone number?", "en", "contact details"),
    # a short English question detected as another language is read with English's cues
    ("Is Sun Huaqin married?", "uz", "their family"),
])
def test_what_a_question_asks_for(question, language, attribute):
    found = asked_attribute(question, language)
    assert found is not None and found.name == attribute


@pytest.mark.parametrize(("question", "language"), [
    ("What did Sun Huaqin propose for SMEs?", "en"),
    ("孙华芹对中小企业提出了什么建议？", "zh"),
    ("科学家喜欢用什么样的传感方式来测量全球辐射?", "zh"),  # tend to, not like
    ("¿Cuáles son sus ideas?", "es"),  # Spanish "son" is "are", not a son
    ("Welchen Preis erhielt er?", "de"),  # a prize, not a price
    ("Сколько лет длилась война?", "ru"),  # a duration, not an age
    ("What did Xu Guanju recommend to address these problems?", "en"),  # address as a verb
    ("Ne zaman?", "tr"),  # Turkish "ne" is "what"
])
def test_questions_that_ask_for_none(question, language):
    assert asked_attribute(question, language) is None


def test_a_passage_holds_an_attribute_by_what_says_it():
    age = next(a for a in ATTRIBUTES if a.name == "an age")
    assert not held_by_none(age, ["张帆今年52岁，是电气装备集团副总经理。"])
    assert held_by_none(age, ["张帆表示，以大模型为代表的新技术正加速演进。"])
    contact = next(a for a in ATTRIBUTES if a.name == "contact details")
    assert held_by_none(contact, ["要发挥信号作用，走好这条路。"])  # 号 and 路 alone are no address
    assert not held_by_none(contact, ["地址：杭州市萧山区宁围街道1号"])


def test_unsaid_reads_the_best_three_passages_only():
    passages = ["张帆表示要加快转型。", "张帆认为要发展大模型。", "张帆谈到中小企业。", "张帆生于1972年。"]
    assert unsaid("How old is Zhang Fan?", "en", passages).name == "an age"
    assert unsaid("How old is Zhang Fan?", "en", passages[1:]) is None  # the third holds it
    assert unsaid("What did Zhang Fan say?", "en", passages) is None


def test_a_traditional_question_is_folded_before_its_cues_are_read():
    assert detect("張帆今年幾歲？") == "zh"
    assert unsaid("張帆今年幾歲？", "zh", ["张帆表示要加快转型。"]).name == "an age"
