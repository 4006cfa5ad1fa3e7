"""What a question asks for, and whether a passage can hold it.

"How old is Zhang Fan?" over an article that names Zhang Fan but never his age: every passage
the ranker finds is about him, and the confidence, which reads how well the passages match the
question, is high. What tells the question apart is the attribute it asks for (an age) and
that no passage found says anything of that kind (岁, 年龄, 出生…).

Each ATTRIBUTE pairs the words that ask for it (per question language; Chinese folded to
simplified first) with the words a Chinese passage that says it uses. The attributes are the
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
    """One kind of fact: the question cues that ask for it and the passage cues that say it."""

    name: str  # as shown to the user: "none of the closest passages says <name>"
    name_zh: str  # the same for a Chinese question: "最接近的段落都没有说<name_zh>"
    asks: dict[str, re.Pattern[str]]  # language code -> what asks for it in a question of that language
    says: re.Pattern[str]  # what says it in a (Chinese, simplified) passage


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _asks(**cues: Sequence[str]) -> dict[str, re.Pattern[str]]:
    """Question cues by language code (language.detect's)."""
    return {language: _pattern(*alternatives) for language, alternatives in cues.items()}


# Chinese numbers as written in biographies and company profiles ("三千余人", "1,200多名")
_NUMBER = r"[\d,.]+|[一二三四五六七八九十百千万两几数]+"

# The question's cues: each language's own words, and only phrasings that ask for the fact ("how
# old", not "age of", which is also "the age of AI"; "how many employees", not "staff", which is
# also a verb). A cue that also means something else is left out ("Preis" is a prize, "сколько
# лет" a duration, "beneficios" benefits, "utile" useful, "receita" a recipe). The passage's cues
# are broad: a passage that says the fact in other words is refused, one that holds a cue by
# chance only lets a question through as before.
ATTRIBUTES = (
    Attribute("an age", "年龄", _asks(
        en=[r"\bhow old\b", r"\bat what age\b", r"\bwhat age (?:is|was|were|are)\b", r"'s age\b",
            r"\b(?:his|her|their) age\b"],
        zh=["几岁", "多少岁", "年龄", "年纪", "今年多大", "多大年纪", "多大岁数"],
        de=[r"\bwie alt\b"], es=[r"\bqu[ée] edad\b", r"\bcu[áa]ntos años tiene"], fr=[r"\bquel [âa]ge\b"],
        ru=[r"\bвозраст"], vi=[r"\bbao nhiêu tuổi\b"], pt=[r"\bquantos anos tem\b"], it=[r"\bquanti anni ha\b"]),
        # (an organisation's age is its founding: "How old is Transfar?" -> 创立于1986年)
        _pattern("岁", "年龄", "年纪", "出生", "生于", r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?生",
                 r"[（(]\s*\d{4}\s*[—–-]",
                 r"\d0后", "年过", "花甲", "古稀", "诞生", "周年", "成立", "创立", "创建", "创办", "创于", "始于",
                 "始建",
                 "历史", "建于")),
    Attribute("where or when they were born", "出生的时间或地点", _asks(
        en=[r"(?<!-)\bborn\b", r"\bbirth(?:place|day|date)\b", r"\b(?:date|place|year) of birth\b"],
        zh=["出生", "生于", "籍贯", "老家", "祖籍", "生日"],
        de=[r"\bgeboren\b", r"\bgeburts(?:ort|tag|jahr|datum)"],
        es=[r"\bnaci(?:ó|o|do|da)\b", r"\bfecha de nacimiento\b"],
        fr=[r"\bnée?\b", r"\bdate de naissance\b", r"\blieu de naissance\b"], ru=[r"\bродил(?:ся|ась)\b",
                                                                                   r"\bдат[аы] рождения\b"],
        vi=[r"\bsinh (?:ra|năm)\b", r"\b(?:năm|ngày|nơi) sinh\b"], pt=[r"\bnasceu\b"], it=[r"\bè nat[oa]\b"]),
        _pattern("出生", "生于", "出身", "籍贯", "人氏", "生人", "老家", "祖籍", "诞生", "出世", "生日",
                 r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?生", r"[（(]\s*\d{4}\s*[—–-]", "故乡", "家乡", "人士", "土生土长",
                 "[省市县州区镇村乡]人")),
    Attribute("their schooling", "学历", _asks(
        en=[r"\b(?:which|what) (?:university|college|school) did\b", r"\bgraduat\w* from\b",
            r"\b(?:go|went|attend\w*) to (?:university|college)\b", r"\balma mater\b", r"\bstudied at\b",
            r"\bwhere did \w+(?: \w+)? (?:study|graduate)\b",
            r"\b(?:bachelor|master|doctoral|academic|phd)(?:'s)? degree\b", r"\bdegree (?:in|from)\b"],
        zh=["毕业", "学历", "学位", "母校", "就读", "哪所学校", "哪所大学", "什么大学", "上的大学", "读的大学"],
        de=[r"\b(?:an|von) welcher (?:universität|hochschule)\b", r"\bstudierte\b", r"\bhat .* studiert\b"],
        es=[r"\bqué universidad\b", r"\bestudió\b"], fr=[r"\bquelle université\b", r"\bdiplômée?\b"],
        ru=[r"\bкаком университете\b", r"\bокончил", r"\bучил(?:ся|ась)\b"],
        vi=[r"\btrường đại học nào\b", r"\btốt nghiệp\b"], pt=[r"\bqual universidade\b"], it=[r"\bquale università\b"]),
        _pattern("毕业", "大学", "学院", "学历", "学位", "博士", "硕士", "学士", "就读", "母校", "留学", "学校",
                 "研究生", "本科", "专业", "考入", "考上", "校友", "深造", "师从", "求学", "清华", "北大", "高中")),
    Attribute("their family", "家庭情况", _asks(
        en=[r"\bwife\b", r"\bhusband\b", r"\bmarried\b", r"\bspouse\b", r"\b(?:his|her|their) (?:children|kids|sons?|"
            r"daughters?|parents)\b", r"\bhow many (?:children|kids|sons|daughters)\b"],
        zh=["妻子", "丈夫", "结婚", "配偶", "几个孩子", "孩子叫", "子女", "儿子", "女儿", "父母", "太太", "老婆",
            "成家"],
        de=[r"\bverheiratet\b", r"\behefrau\b", r"\behemann\b"], es=[r"\bcasad[oa]\b", r"\bespos[oa]\b"],
        fr=[r"\bmariée?\b", r"\bépouse\b"], ru=[r"\bженат\b", r"\bзамужем\b", r"\bжена\b"],
        vi=[r"\bkết hôn\b"], pt=[r"\bcasad[oa]\b"], it=[r"\bsposat[oa]\b"]),
        _pattern("妻", "丈夫", "结婚", "婚", "配偶", "夫人", "孩子", "子女", "儿子", "女儿", "父", "母", "家人", "家庭",
                 "太太", "儿", "女", "长子", "次子", "独生")),
    Attribute("their tastes", "喜好", _asks(
        en=[r"\bfavou?rite (?:food|dish|drink|sport|book|film|movie|music|song|colou?r|team|hobby|place|city|pastime)",
            r"\bhobb(?:y|ies)\b", r"\blike to (?:eat|drink)\b", r"\blikes? (?:eating|drinking)\b"],
        # (not 喜欢 alone: "科学家喜欢用什么方式…" asks how scientists tend to measure, not what they like)
        zh=["喜欢吃", "喜欢喝", "爱吃", "爱喝", "爱好", "嗜好",
            "最喜欢的(?:食物|菜|饮料|运动|书|电影|音乐|歌|颜色|球队|地方|城市)"],
        de=[r"\blieblings(?:essen|speise|getränk|sport|buch|film|musik|farbe|mannschaft)", r"\bhobbys?\b"],
        es=[r"\b(?:comida|bebida|deporte|libro|película|color) favorit[oa]\b", r"\bpasatiempo"],
        fr=[r"\b(?:plat|boisson|sport|livre|film|couleur) préférée?\b", r"\bpasse-temps\b"],
        ru=[r"\bлюбим(?:ое|ая|ый) (?:блюдо|еда|напиток|спорт|книга|фильм|цвет)", r"\bхобби\b"],
        vi=[r"\bmón ăn yêu thích\b", r"\bsở thích\b"], pt=[r"\b(?:comida|bebida) favorita\b"],
        it=[r"\b(?:cibo|piatto) preferito\b", r"\bhobby\b"]),
        _pattern("喜欢", "爱好", "最爱", "偏爱", "兴趣", "热爱", "钟爱", "喜爱", "爱吃", "爱喝", "嗜", "情有独钟",
                 "钟情", "迷上", "痴迷", "一有空")),
    Attribute("when or how it was founded", "成立的时间或经过", _asks(
        en=[r"\bfound(?:ed|er|ers)\b", r"\bfounding (?:date|year)\b",
            r"\b(?:when|what year|which year)\b.*\b(?:established|set up|incorporated)\b"],
        zh=["成立", "创立", "创建", "创办", "建立于", "建于", "创始"],
        de=[r"\bgegründet\b", r"\bgründ(?:ete|er|ungsjahr)\b"], es=[r"\bfund(?:ó|ada|ado|ador|adores)\b"],
        fr=[r"\bfondée?\b", r"\bfondateur"],
        ru=[r"\b(?:когда|в каком году)\b.*\bоснован", r"\bосновал[аи]?\b", r"\bоснователь"],
        vi=[r"\bthành lập\b", r"\bsáng lập\b"], pt=[r"\bfundad[oa]\b"], it=[r"\bfondat[oa]\b"]),
        _pattern("成立", "创立", "创建", "创办", "建立", "始建", "建于", "设立", "组建", "前身", "创始", "诞生", "成型",
                 "组成", "成军", "建成", "落成", "开业", "开办", "创于", "始于", "起家", "办起", "挂牌", "起步")),
    Attribute("a revenue, profit or price", "营收、利润或价格", _asks(
        en=[r"\brevenues?\b", r"\bturnover\b", r"(?<!-)\bprofits?\b", r"\bsalary\b", r"\bprice of\b",
            r"\bwhat (?:is|was|are|were) the (?:price|cost)\b", r"\bhow much money\b",
            r"\bhow much\b.*\b(?:cost|costs|charge|earn|earns|earned|paid|worth|spend|spent|sell|sold)\b",
            r"\b(?:how much|how many|what (?:is|was|are|were))\b.*\b(?:sales|income)\b"],
        zh=["营收", "营业额", "销售额", "利润", "净利", "工资", "薪水", "薪资", "价格是", "多少钱", "售价", "卖多少",
            "收入多少", "收入是多少", "赚了多少"],
        de=[r"\bumsatz", r"\bgewinn\b", r"\bkostet\b", r"\bgehalt\b"],
        es=[r"\bingresos\b", r"\bganancias\b", r"\bprecio\b", r"\bcuesta\b"],
        fr=[r"\bchiffre d'affaires\b", r"\bco[ûu]te\b"],
        ru=[r"\bвыручк", r"\bприбыл", r"\bсколько стоит", r"\bзарплат"],
        vi=[r"\bdoanh thu\b", r"\blợi nhuận\b", r"\bgiá bao nhiêu\b"], pt=[r"\blucro\b"], it=[r"\bfatturato\b"]),
        _pattern("元", "美元", "欧元", "英镑", "镑", "日圆", "日元", "港币", "营收", "收入", "销售额", "利润", "产值",
                 "营业额", "盈利", "亏损", "价格", "价", "费", "成本", "资金", "投资", r"[$¥€£]", "万", "亿", "块",
                 "钱")),
    Attribute("a head count", "人数", _asks(
        en=[r"\bhow many (?:employees|staff|workers|people (?:work|does|do|did))\b", r"\bnumber of (?:employees|staff|"
            r"workers)\b", r"\bheadcount\b",
            r"\b(?:size of|how (?:large|big) is) (?:the |its |their )?workforce\b", r"\bhow many people\b.*\bemploy"],
        zh=["多少(?:名|个|位)?(?:员工|职工|雇员|工人)", "员工人数", "职工人数", "员工数量", "有多少人"],
        de=[r"\bwie viele (?:mitarbeiter|beschäftigte|angestellte)"], es=[r"\bcu[áa]ntos (?:empleados|trabajadores)\b"],
        fr=[r"\bcombien (?:d'employés|de salariés)\b"], ru=[r"\bсколько (?:сотрудник|работник)"],
        vi=[r"\bbao nhiêu nhân viên\b"], pt=[r"\bquantos funcionários\b"], it=[r"\bquanti dipendenti\b"]),
        _pattern("员工", "职工", "职员", "雇员", "工人", "人员", "从业", "人数", "人口", "劳动力", "农民工", "队伍",
                 "人才", f"(?:{_NUMBER})\\s*[万千百]?[余多]?\\s*[人名位]")),
    Attribute("a place to stay or eat", "住宿或餐饮", _asks(
        en=[r"\bhotels?\b", r"\bwhere (?:can|should|to) (?:i|we|one) stay\b", r"\brestaurants?\b", r"\bwhere to eat\b"],
        zh=["酒店", "宾馆", "住宿", "旅馆", "民宿", "餐厅", "饭店"],  # (not 住在哪: where they live)
        de=[r"\bhotels?\b", r"\bübernachten\b", r"\brestaurants?\b"], es=[r"\bhotel(?:es)?\b", r"\brestaurantes?\b"],
        fr=[r"\bhôtels?\b", r"\brestaurants?\b"], ru=[r"\bгостиниц", r"\bотел", r"\bресторан"],
        vi=[r"\bkhách sạn\b", r"\bnhà hàng\b"], pt=[r"\bhot[ée]is\b", r"\bhotel\b"], it=[r"\balbergh"]),
        _pattern("酒店", "宾馆", "住宿", "旅馆", "民宿", "餐厅", "饭店", "客栈", "招待所", "餐馆", "面馆", "下榻",
                 "食堂",
                 "小吃", "美食", "入住")),
    Attribute("contact details", "联系方式", _asks(
        # (not "his address" alone: a speech is an address too)
        en=[r"\b(?:tele)?phone numbers?\b", r"\b(?:e-?mail|street|postal|mailing|office|home|web) address\b",
            r"\b(?:what|which) is (?:the|its|his|her|their) (?:website|e-?mail)\b", r"'s (?:website|e-?mail)\b",
            r"\bwhat(?:'s| is| was) (?:the |its |his |her |their |\w+'s )?address\b",
            r"\baddress of the (?:company|firm|office|headquarters|factory|plant|shop|store)\b"],
        zh=["电话号码", "联系电话", "电话是多少", "邮箱", "网址", "官网", "地址是", "地址在", "的地址", "联系方式"],
        de=[r"\btelefonnummer\b", r"\be-mail-adresse\b", r"\bwebseite\b", r"\b(?:die|seine|ihre) adresse\b"],
        es=[r"\bnúmero de teléfono\b", r"\bcorreo electrónico\b"],
        fr=[r"\bnuméro de téléphone\b", r"\b(?:l'|son |sa |leur )adresse\b"],
        ru=[r"\bномер телефона\b", r"\bкакой адрес\b", r"\bпо какому адресу\b",
            r"\bадрес (?:компании|офиса|сайта)\b"],
        vi=[r"\bsố điện thoại\b", r"\bđịa chỉ\b"],
        pt=[r"\btelefone\b"], it=[r"\bnumero di telefono\b"]),
        # (a phone number needs its digits, an address its number: 路 or 号 alone are any road or signal)
        _pattern("电话", "热线", "传真", "邮箱", "电邮", "网址", "网站", "官网", "地址", r"\btel\b", "@", "http", "www",
                 r"\d{3,4}[\s\-]?\d{3,4}[\s\-]?\d{3,4}", r"[路街道][\d一二三四五六七八九十]",
                 r"[\d一二三四五六七八九十]+号")),
)

# Which languages have cues of their own. A question in another language is read with English's
# cues only when its letters are all ASCII: a short English question is often detected as another
# language ("Is Sun Huaqin married?": uz), while "Son yıllarda…" (Turkish: "in recent years") is not
# about a son.
_OWN_CUES = frozenset(language for attribute in ATTRIBUTES for language in attribute.asks)


def asked_attributes(question: str, language: str) -> list[Attribute]:
    """Every one of ATTRIBUTES a question in ``language`` asks for (a Chinese question folded to
    simplified first): "When was the university founded?" asks for a founding, whatever else it names."""
    if language == "zh":
        question = simplified(question)
    elif language not in _OWN_CUES:
        if not question.isascii():
            return []
        language = "en"
    return [attribute for attribute in ATTRIBUTES
            if language in attribute.asks and attribute.asks[language].search(question)]


def says_it(attribute: Attribute, passages: Sequence[str]) -> bool:
    """Does one of ``passages`` (folded to simplified) hold a word that says ``attribute``?"""
    return any(attribute.says.search(text) for text in passages)


# The passages read: the best and the next two. The answer quotes one or two, and a passage
# ranked just below may be the one that says it (the ranker's R@3 is above its R@1).
PASSAGES_READ = 3


def unsaid(question: str, language: str, passages: Sequence[str]) -> Attribute | None:
    """An attribute ``question`` (in ``language``) asks for that none of ``passages`` (the best
    first, folded to simplified) says; None when it asks for none listed or a passage may say each."""
    for attribute in asked_attributes(question, language):
        if not says_it(attribute, passages[:PASSAGES_READ]):
            return attribute
    return None
