"""What a question asks for, and whether a passage can hold it.

"How old is Zhang Fan?" over an article that names Zhang Fan but never his age: every passage
the ranker finds is about him, and the confidence, which reads how well the passages match the
question, is high. What tells the question apart is the attribute it asks for (an age) and
that no passage found says anything of that kind (岁, 年龄, 出生…).

Each ATTRIBUTE pairs the words that ask for it (English and Chinese, traditional folded to
simplified first) with the words a Chinese passage holding it uses. The attributes are the
ones whose answer is always written in such words: a person's age, birth, schooling, family,
tastes; an organisation's founding, revenue and head count; contact details, lodging, prices.
Questions that ask for nothing listed (a reason, a view, "what did X say") are left to the
confidence. Measured in bench/RESULTS.md: how many questions each set has that ask for an
attribute, how many of those the right passage holds, and how many off-corpus ones it catches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .lexical import simplified


@dataclass(frozen=True)
class Attribute:
    """One kind of fact: the question cues that ask for it and the passage cues that hold it."""

    name: str  # as shown to the user: "none says <name>"
    name_zh: str  # the same for a Chinese question: "都没有说<name_zh>"
    asks: dict[str, re.Pattern[str]]  # language code -> what asks for it in a question of that language
    holds: re.Pattern[str]  # what says it in the (Chinese, simplified) passage


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _asks(**cues: Sequence[str]) -> dict[str, re.Pattern[str]]:
    """Question cues by language code (language.detect's): each language's own, never another's
    (Spanish "son" is "are", Turkish "ne" is "what")."""
    return {language: _pattern(*alternatives) for language, alternatives in cues.items()}


# The question's cues in English, Chinese and the languages most asked in after them; a cue that
# also asks for something else is left out ("Preis" is a prize too, "сколько лет" a duration,
# "dirección" a direction, "nato" NATO). The passage's cues are Chinese: the text is.
ATTRIBUTES = (
    Attribute("an age", "年龄", _asks(
        en=[r"\bhow old\b", r"\bwhat age\b", r"\bage of\b"],
        zh=["几岁", "多少岁", "年龄", "年纪", "今年多大", "多大年纪", "多大岁数"],
        de=[r"\bwie alt\b"], es=[r"\bqu[ée] edad\b", r"\bcu[áa]ntos años tiene"], fr=[r"\bquel [âa]ge\b"],
        ru=[r"\bвозраст"], vi=[r"\bbao nhiêu tuổi\b"], pt=[r"\bquantos anos tem\b"], it=[r"\bquanti anni ha\b"]),
        _pattern("岁", "年龄", "年纪", "出生", "生于", r"\d{4}年生", "诞生", "周年")),
    Attribute("where or when they were born", "出生的时间或地点", _asks(
        en=[r"\bborn\b", r"\bbirth"], zh=["出生", "生于", "籍贯", "老家", "祖籍"],
        de=[r"\bgeboren\b", r"\bgeburts"], es=[r"\bnaci(?:ó|o|do|da|miento)\b"],
        fr=[r"\bnée?\b", r"\bnaissance\b"], ru=[r"\bродил(?:ся|ась)\b", r"\bрождени"],
        vi=[r"\bsinh (?:ra|năm)\b", r"\b(?:năm|ngày|nơi) sinh\b"], pt=[r"\bnasceu\b", r"\bnascimento\b"],
        it=[r"\bnascita\b", r"\bè nat[oa]\b"]),
        _pattern("出生", "生于", "出身", "籍贯", "人氏", "生人", "老家", "祖籍", "诞生", "出世", r"\d{4}年生",
                 "故乡", "家乡", "人士", "籍")),
    Attribute("their schooling", "学历", _asks(
        en=[r"\buniversit", r"\bcollege\b", r"\bgraduat", r"\bdegree\b", r"\balma mater\b", r"\bstudied at\b"],
        zh=["毕业", "大学", "学历", "学位", "母校", "就读", "哪所学校"],
        de=[r"\buniversität", r"\bhochschule", r"\bstudierte\b"], es=[r"\buniversidad", r"\bestudió\b"],
        fr=[r"\buniversité", r"\bdiplômée?\b"], ru=[r"\bуниверситет", r"\bокончил"],
        vi=[r"\bđại học\b", r"\btốt nghiệp\b"], pt=[r"\buniversidade"], it=[r"\buniversità"]),
        _pattern("毕业", "大学", "学院", "学历", "学位", "博士", "硕士", "学士", "就读", "母校", "留学", "学校",
                 "研究生", "本科", "专业")),
    Attribute("their family", "家庭情况", _asks(
        en=[r"\bwife\b", r"\bhusband\b", r"\bmarried\b", r"\bspouse\b", r"\bchildren\b", r"\bkids\b",
            r"\bsons?\b", r"\bdaughters?\b", r"\bparents\b"],
        zh=["妻子", "丈夫", "结婚", "配偶", "孩子", "子女", "儿子", "女儿", "父母", "太太", "老婆"],
        de=[r"\bverheiratet\b", r"\behefrau\b", r"\behemann\b"], es=[r"\bcasad[oa]\b", r"\bespos[oa]\b"],
        fr=[r"\bmariée?\b", r"\bépouse\b"], ru=[r"\bженат\b", r"\bзамужем\b", r"\bжена\b"],
        vi=[r"\bkết hôn\b"], pt=[r"\bcasad[oa]\b"], it=[r"\bsposat[oa]\b"]),
        _pattern("妻", "丈夫", "结婚", "婚", "配偶", "夫人", "孩子", "子女", "儿子", "女儿", "父", "母", "家人", "家庭",
                 "太太", "儿", "女")),
    Attribute("their tastes", "喜好", _asks(
        en=[r"\bfavou?rite\b", r"\bhobb(?:y|ies)\b", r"\blike to (?:eat|drink)\b", r"\blikes? (?:eating|drinking)\b"],
        # (not 喜欢 alone: "科学家喜欢用什么方式…" asks how scientists tend to measure, not what they like)
        zh=["喜欢吃", "喜欢喝", "最喜欢", "喜欢的", "爱好", "最爱", "爱吃", "爱喝", "嗜好"],
        de=[r"\blieblings", r"\bhobbys?\b"], es=[r"\bfavorit[oa]s?\b", r"\bpasatiempo"],
        fr=[r"\bpréférée?s?\b", r"\bpasse-temps\b"], ru=[r"\bлюбим", r"\bхобби\b"],
        vi=[r"\byêu thích\b", r"\bsở thích\b"], pt=[r"\bfavorit[oa]s?\b"], it=[r"\bpreferit[oa]\b"]),
        _pattern("喜欢", "爱好", "最爱", "偏爱", "兴趣", "热爱", "钟爱", "喜爱", "爱吃", "嗜好")),
    Attribute("when or how it was founded", "成立的时间或经过", _asks(
        en=[r"\bfounded\b", r"\bfounding\b", r"\bestablished\b", r"\bset up\b", r"\bfounder\b", r"\bincorporated\b"],
        zh=["成立", "创立", "创建", "创办", "建立于", "建于", "创始"],
        de=[r"\bgegründet\b", r"\bgründ(?:ung|ete|er)"], es=[r"\bfund(?:ó|ada|ado|ación|ador)\b"],
        fr=[r"\bfondée?\b", r"\bfondation\b"], ru=[r"\bоснова(?:н|л|ни)"], vi=[r"\bthành lập\b", r"\bsáng lập\b"],
        pt=[r"\bfundad[oa]\b"], it=[r"\bfondat[oa]\b"]),
        _pattern("成立", "创立", "创建", "创办", "建立", "始建", "建于", "设立", "组建", "前身", "创始", "诞生", "成型",
                 "组成", "成军", "建成", "落成", "开业", "开办")),
    Attribute("a revenue, profit or price", "营收、利润或价格", _asks(
        en=[r"\brevenues?\b", r"\bturnover\b", r"\bprofits?\b", r"\bsales\b", r"\bincome\b", r"\bsalary\b",
            r"\bprice\b", r"\bcost\b", r"\bhow much (?:money|does|did|is|was|do)\b"],
        zh=["营收", "营业额", "销售额", "利润", "收入", "净利", "工资", "薪水", "薪资", "价格", "多少钱", "售价"],
        de=[r"\bumsatz", r"\bgewinn\b", r"\bkostet\b", r"\bgehalt\b"],
        es=[r"\bingresos\b", r"\bganancias\b", r"\bbeneficios?\b", r"\bprecio\b", r"\bcuesta\b"],
        fr=[r"\bchiffre d'affaires\b", r"\bbénéfices?\b", r"\bco[ûu]te\b"],
        ru=[r"\bвыручк", r"\bприбыл", r"\bсколько стоит", r"\bзарплат"],
        vi=[r"\bdoanh thu\b", r"\blợi nhuận\b", r"\bgiá bao nhiêu\b"], pt=[r"\breceita\b", r"\blucro\b"],
        it=[r"\bfatturato\b", r"\butile\b"]),
        _pattern("元", "美元", "欧元", "英镑", "镑", "日圆", "日元", "港币", "营收", "收入", "销售额", "利润", "产值",
                 "营业额", "盈利", "亏损", "价格", "价", "费", "成本", "资金", "投资", r"[$¥€£]", "万", "亿")),
    Attribute("a head count", "人数", _asks(
        en=[r"\bemployees?\b", r"\bstaff\b", r"\bworkforce\b", r"\bhow many (?:people|workers)\b"],
        zh=["员工", "职工", "雇员", "多少名?工人", "多少人"],
        de=[r"\bmitarbeiter", r"\bbeschäftigte"], es=[r"\bempleados\b", r"\btrabajadores\b"],
        fr=[r"\bemployés\b", r"\bsalariés\b"], ru=[r"\bсотрудник", r"\bработник"], vi=[r"\bnhân viên\b"],
        pt=[r"\bfuncionários\b"], it=[r"\bdipendenti\b"]),
        _pattern("员工", "职工", "雇员", "工人", "人员", "从业", "人数", "人口", "名", r"\d+\s*万?人",
                 "[一二三四五六七八九十百千万两几数]+人", "队伍")),
    Attribute("a place to stay or eat", "住宿或餐饮", _asks(
        en=[r"\bhotels?\b", r"\bwhere (?:can|should|to) (?:i|we|one) stay\b", r"\brestaurants?\b", r"\bwhere to eat\b"],
        zh=["酒店", "宾馆", "住宿", "旅馆", "民宿", "餐厅", "饭店", "住哪"],
        de=[r"\bhotels?\b", r"\bübernachten\b", r"\brestaurants?\b"], es=[r"\bhotel(?:es)?\b", r"\brestaurantes?\b"],
        fr=[r"\bhôtels?\b", r"\brestaurants?\b"], ru=[r"\bгостиниц", r"\bотел", r"\bресторан"],
        vi=[r"\bkhách sạn\b", r"\bnhà hàng\b"], pt=[r"\bhot[ée]is\b", r"\bhotel\b"], it=[r"\balbergh"]),
        _pattern("酒店", "宾馆", "住宿", "旅馆", "民宿", "餐厅", "饭店", "客栈", "招待所")),
    Attribute("contact details", "联系方式", _asks(
        en=[r"\bphone\b", r"\btelephone\b", r"\bemail\b", r"\be-mail\b", r"\bwebsite\b",
            r"\b(?:the|an|its|his|her|their) address\b", r"\baddress of\b"],
        zh=["电话", "邮箱", "网址", "官网", "地址", "联系方式"],
        de=[r"\btelefon", r"\badresse\b", r"\bwebseite\b"], es=[r"\bteléfono\b", r"\bcorreo electrónico\b"],
        fr=[r"\btéléphone\b", r"\badresse\b"], ru=[r"\bтелефон", r"\bадрес\b", r"\bсайт"],
        vi=[r"\bđiện thoại\b", r"\bđịa chỉ\b"], pt=[r"\btelefone\b"], it=[r"\btelefono\b"]),
        # (a phone number needs its digits, an address its number: 路 or 号 alone are any road or signal)
        _pattern("电话", "邮箱", "网址", "官网", "地址", "@", "http", "www", r"\d{7,}", r"[路街道]\d", r"\d+号")),
)


def asked_attribute(question: str, language: str) -> Attribute | None:
    """The first of ATTRIBUTES a question in ``language`` asks for, if any (a Chinese question
    folded to simplified first). A language without cues of its own is read with English's: a
    short English question is often detected as another language ("Is Sun Huaqin married?": uz)."""
    for attribute in ATTRIBUTES:
        if attribute.asks.get(language, attribute.asks["en"]).search(question):
            return attribute
    return None


def held_by_none(attribute: Attribute, passages: Sequence[str]) -> bool:
    """True when none of ``passages`` (folded to simplified) says anything of the kind ``attribute`` is."""
    return not any(attribute.holds.search(text) for text in passages)


# The passages read for the attribute: the best and the next two. The answer quotes one or two,
# and a passage ranked just below may be the one that holds it (the ranker's R@3 is above its R@1).
PASSAGES_READ = 3


def unsaid(question: str, language: str, passages: Sequence[str]) -> Attribute | None:
    """The attribute ``question`` (in ``language``) asks for when none of ``passages`` (the best
    first, folded to simplified) can hold it; None when it asks for none listed or a passage may say it."""
    attribute = asked_attribute(simplified(question) if language == "zh" else question, language)
    if attribute is None or not held_by_none(attribute, passages[:PASSAGES_READ]):
        return None
    return attribute
