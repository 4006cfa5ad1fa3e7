"""Chinese names as Korean writes them (rag/hangul.py; no model needed)."""

import pytest

from rag.hangul import korean, syllable


@pytest.mark.parametrize(("pinyin", "written"), [
    ("sun hua qin", "쑨화친"), ("yu xu bo", "위쉬보"), ("zhang tian ren", "장톈런"), ("xu guan ju", "쉬관쥐"),
    ("li le cheng", "리러청"), ("luo xiao yan", "뤄샤오옌"),  # the article's people, as its Korean questions write them
    ("mao ze dong", "마오쩌둥"), ("zhou en lai", "저우언라이"), ("deng xiao ping", "덩샤오핑"),
    ("jiang ze min", "장쩌민"), ("hu jin tao", "후진타오"), ("wen jia bao", "원자바오"), ("li ke qiang", "리커창"),
    ("zhu rong ji", "주룽지"), ("liu xiao bo", "류샤오보"), ("lv xun", "뤼쉰"), ("cui jian", "추이젠"),
])
def test_names_are_written_as_the_korean_press_writes_them(pinyin, written):
    assert korean(pinyin) == written


def test_the_rules_that_change_a_syllable():
    assert [syllable(s) for s in ("jia", "xia", "jie", "xie", "tie")] == ["자", "샤", "제", "셰", "톄"]  # ㅈ ㅊ drop y
    assert [syllable(s) for s in ("zhi", "shi", "zi", "si", "ri", "ji")] == ["즈", "스", "쯔", "쓰", "르", "지"]
    assert [syllable(s) for s in ("ju", "xuan", "jun", "yue")] == ["쥐", "쉬안", "쥔", "웨"]  # u after j q x is ü
    assert syllable("tsu") is None and korean("sun tsu") is None  # not Mandarin
    assert syllable("lue") == syllable("lve") == syllable("lüe") == "뤠"  # ü however it is written
