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
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .lexical import simplified, unaccented


@dataclass(frozen=True)
class Attribute:
    """One kind of fact: the question cues that ask for it and the passage cues that say it."""

    name: str  # as shown to the user: "none of the closest passages says <name>"
    name_zh: str  # the same for a Chinese question: "最接近的段落都没有说<name_zh>"
    asks: dict[str, re.Pattern[str]]  # language code -> what asks for it in a question of that language
    says: re.Pattern[str]  # what says it in a (Chinese, simplified) passage


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _unaccented_greek(text: str) -> str:
    """Greek without its accents and with one sigma: capitals are written unaccented ("ΠΟΥ
    ΓΕΝΝΗΘΗΚΕ"), and many type lower case so too; cue and question are compared so."""
    return unaccented(text).replace("ς", "σ")


def _asks(**cues: Sequence[str]) -> dict[str, re.Pattern[str]]:
    """Question cues by language code (language.detect's)."""
    return {language: _pattern(*(map(_unaccented_greek, alternatives) if language == "el" else alternatives))
            for language, alternatives in cues.items()}


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
        ru=[r"\bвозраст"], vi=[r"\bbao nhiêu tuổi\b"], pt=[r"\bquantos anos tem\b"], it=[r"\bquanti anni ha\b"],
        ar=["كم (?:كان |كانت |يبلغ |تبلغ |سنة )?عمر", r"في أي (?:عمر|سن)\b", "ما (?:هو )?عمر"],
        el=["πόσ(?:ο|ων) χρον(?:ών|ώ) (?:είναι|ήταν)", "(?:είναι|ήταν) πόσ(?:ο|ων) χρον(?:ών|ώ)",  # (unaccented,
            # "πόσων χρονών", how old, is "πόσων χρόνων", how many years: told apart by the verb)
            r"\b(?:σε ποια|τι|ποια) ηλικία", r"\bηλικία (?:του|της)\b"],
        hi=["उम्र"],
        th=["อายุเท่า", "อายุกี่", "เมื่ออายุ", "ตอนอายุ"],
        tr=[r"\bkaç yaşında", r"\byaşı kaç", r"\bkaç yaşına", r"\bhangi yaşta\b", r"\byaşı nedir\b"],
        ro=[r"\bcâți ani (?:are|avea)\b", r"\b(?:ce|la ce) vârstă\b", r"\bvârsta (?:lui|ei)\b"],
        ja=["何歳", "年齢", "歳ですか"],
        ko=["몇 살", "(?<![가-힣])나이(?!지리아|키)"]),
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
        vi=[r"\bsinh (?:ra|năm)\b", r"\b(?:năm|ngày|nơi) sinh\b"], pt=[r"\bnasceu\b"], it=[r"\bè nat[oa]\b"],
        ar=[r"(?:أين|متى|في أي (?:عام|سنة|مدينة|بلد)) (?:ولد|ولدت)\b", r"\bتاريخ (?:ميلاد|ولادة)",
            r"\bمكان (?:ميلاد|ولادة|مولد)", r"\bعيد ميلاد", r"\bمسقط رأس"],
        el=["γεννήθηκ", r"\b(?:ημερομηνία|τόπο|τόπος|έτος) γέννησης\b", r"\bγενέθλια\b"],
        hi=["जन्म (?:कब|कहाँ|कहां|किस|तिथि|स्थान)", "जन्मतिथि", "जन्मदिन", "कहाँ पैदा", "कब पैदा"],
        th=["วันเกิด(?!ขึ้น|เหตุ)", "สถานที่เกิด", "ปีเกิด(?!เหตุ)", "เกิดวันที่เท่า", "เกิดปี(?:ไหน|อะไร)"],
        tr=[r"\b(?:nerede|ne zaman|hangi (?:yıl|şehir|ülke)\w*) doğ(?:du|muş)", r"\bdoğduğu (?:yer|şehir|yıl)",
            r"\bdoğum (?:tarihi|yeri|günü|yılı)"],
        ro=[r"\bnăscut", r"\bnașterii\b", r"\bde naștere\b"],
        ja=["(?:どこ|いつ|何年)(?:で|に)?生まれ", "生まれ(?:は|た(?:の|場所)は)", "誕生日", "生年月日", "出生地"],
        ko=["(?:어디|언제|몇 년)(?:에서|에)? 태어", "출생", "(?<![가-힣])생일", "생년월일", "년생"]),
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
        vi=[r"\btrường đại học nào\b", r"\btốt nghiệp\b"], pt=[r"\bqual universidade\b"], it=[r"\bquale università\b"],
        ar=[r"\bأي جامعة", r"\bتخرج\S* (?:من|في) (?:ال)?(?:جامعة|كلية|معهد)", r"\bدرس في جامعة"],
        el=[r"\bποιο πανεπιστήμιο", r"\bαποφοίτησε\b", r"\bσπούδασε\b"],
        hi=["किस विश्वविद्यालय", "किस कॉलेज", "से स्नातक", "स्नातक की"],
        th=["มหาวิทยาลัยใด", "มหาวิทยาลัยอะไร", "จบการศึกษา", "สำเร็จการศึกษา"],
        tr=[r"\bhangi (?:üniversite|okul)", r"\bnereden mezun", r"\beğitim (?:aldı|gördü)"],
        ro=[r"\b(?:ce|la care) universitate\b", r"\ba absolvit\b", r"\ba studiat (?:la|în)\b"],
        ja=["どの大学", "どこの大学", "出身大学", "(?:大学|学校|学部)を?卒業", "卒業(?:した)?大学", "学歴"],
        ko=["어느 대학", "무슨 대학", "졸업", "학력", "출신 대학"]),
        _pattern("毕业", "大学", "学院", "学历", "学位", "博士", "硕士", "学士", "就读", "母校", "留学", "学校",
                 "研究生", "本科", "专业", "考入", "考上", "校友", "深造", "师从", "求学", "清华", "北大", "高中")),
    Attribute("their family", "家庭情况", _asks(
        en=[r"\bwife\b", r"\bhusband\b", r"\bmarried\b(?! couples?\b)", r"\bspouse\b",
            r"\b(?:his|her|their) (?:children|kids|sons?|daughters?|parents)\b",
            r"\bhow many (?:children|kids|sons|daughters)\b"],
        zh=["妻子", "丈夫", "结婚", "配偶", "几个孩子", "孩子叫", "子女", "儿子", "女儿", "父母", "太太", "老婆",
            "成家"],
        de=[r"\bverheiratet\b", r"\behefrau\b", r"\behemann\b"], es=[r"\bcasad[oa]\b", r"\bespos[oa]\b"],
        fr=[r"\bmariée?\b", r"\bépouse\b"], ru=[r"\bженат\b", r"\bзамужем\b", r"\bжена\b"],
        vi=[r"\bkết hôn\b"], pt=[r"\bcasad[oa]\b"], it=[r"\bsposat[oa]\b"],
        ar=[r"\bزوجت(?:ه|ها)\b", r"\bزوج(?:ها)?\b", r"\bمتزوج(?!ين|ان)", r"\bكم (?:عدد )?(?:أطفال|طفلا|أبناء)",
            r"\bأطفاله\b",
            r"\bأبنائه\b"],
        el=[r"\bσύζυγ", r"\bπαντρε(?:ύτηκε|μένος|μένη)", r"\bπόσα παιδιά\b", r"\bπαιδιά (?:του|της)\b"],
        hi=["पत्नी", r"(?<![\u0900-\u097F])पति(?![\u0900-\u097F]|-पत्नी)", "शादी", "विवाहित", "कितने बच्चे"],
        th=["ภรรยา", "สามี", "แต่งงาน", "คู่สมรส", "ลูกกี่คน", "บุตรกี่คน"],
        tr=[r"\beşi\b(?! benzeri)", r"\bkarısı", r"\bkocası", r"\bevli\b(?! çift)", r"\bevlen", r"\bkaç çocu",
            r"\bçocukları (?:var|kim|kaç)"],
        ro=[r"\bsoți(?:a|ul)\b", r"\bcăsătorit", r"\bcâți copii\b", r"\bcopiii (?:lui|ei)\b"],
        ja=["結婚", "既婚", "独身(?!の日)", "(?<!稲)妻", "配偶者",
            "子(?:供|ども)[はが]何人", "何人の子(?:供|ども)", "息子", "娘"],
        ko=["결혼", "기혼", "아내", "남편", "배우자", "자녀",
            "아이가 몇", "아이는 몇", "아들"]),
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
        it=[r"\b(?:cibo|piatto) preferito\b", r"\bhobby\b"],
        ar=[r"\bهواي(?:ة|ات|ته|تها)\b", r"\b(?:الطعام|الأكل|الطبق|الشراب|المشروب|الرياضة|اللون|الفيلم|الكتاب) المفضل"],
        el=[r"\bχόμπι\b", r"\bαγαπημέν\w* (?:φαγητό|ποτό|άθλημα|βιβλίο|ταινία|χρώμα|ομάδα)"],
        hi=["शौक", "पसंदीदा (?:खाना|भोजन|पेय|खेल|किताब|फ़िल्म|फिल्म|रंग|संगीत)"],
        th=["งานอดิเรก", "ชอบกิน", "ชอบดื่ม", "อาหารโปรด", "เครื่องดื่มโปรด", "กีฬาโปรด", "สีโปรด", "ยามว่าง", "เวลาว่าง"],
        tr=[r"\bhobi", r"\ben sevdiği (?:yemek|içecek|spor|kitap|film|müzik|şarkı|renk|takım)",
            r"\bfavori (?:yemeği|içeceği|sporu|kitabı|filmi|rengi|takımı)"],
        ro=[r"\bhobby\b", r"\b(?:mâncarea|băutura|sportul|cartea|filmul|culoarea|echipa) (?:lui |ei )?preferat"],
        ja=["趣味", "好物", "好きな(?:食べ物|料理|飲み物|スポーツ|本|映画|音楽|色)"],
        ko=["취미", "좋아하는 (?:음식|요리|음료|운동|스포츠|책|영화|음악|색)"]),
        _pattern("喜欢", "爱好", "最爱", "偏爱", "兴趣", "热爱", "钟爱", "喜爱", "爱吃", "爱喝", "嗜", "情有独钟",
                 "钟情", "迷上", "痴迷", "一有空")),
    Attribute("when or how it was founded", "成立的时间或经过", _asks(
        en=[r"\bfound(?:ed|er|ers)\b", r"\bfounding (?:date|year)\b",
            r"\b(?:when|what year|which year)\b.*\b(?:established|set up|incorporated)\b"],
        zh=["成立", "创立", "创建", "创办", "建立于", "建于", "创始"],
        de=[r"\bgegründet\b", r"\bgründ(?:ete|er|ungsjahr)\b"], es=[r"\bfund(?:ó|ada|ado|ador|adores)\b"],
        fr=[r"\bfondée?\b", r"\bfondateur"],
        ru=[r"\b(?:когда|в каком году)\b.*\bоснован", r"\bосновал[аи]?\b", r"\bоснователь"],
        vi=[r"\bthành lập\b", r"\bsáng lập\b"], pt=[r"\bfundad[oa]\b"], it=[r"\bfondat[oa]\b"],
        ar=[r"\bتأسس(?:ت)?\b", r"\bمؤسس(?:ها|ه|و|ي|ين|ون)?\b", r"\bتم تأسيس", r"\bتاريخ تأسيس"],
        el=[r"\bιδρύθηκ", r"\bίδρυσ(?:ε|αν)\b", r"\bιδρυτ(?:ής|ές|ή)\b", r"\bίδρυση\b"],
        hi=["स्थापना कब", "कब .*स्थापना", "किसने .*स्थापना", "संस्थापक"],
        th=["ก่อตั้ง", "ผู้ก่อตั้ง"],
        tr=[r"\b(?:ne zaman|hangi yıl\w*|kaç yılında) kurul(?:du|muş)", r"\bkim(?:in)? kurdu",
            r"\bkuruluş (?:tarihi|yılı)",
            r"\bkurucu"],
        ro=[r"\bfondat", r"\bfondator", r"\bînființat"],
        ja=["設立", "創業(?:者|年|は)", "創立", "創設", "創始者"],
        ko=["설립", "창립", "창업(?:자|주|년| 연도)", "언제 창업"]),
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
        ru=[r"\bвыручк", r"\bприбыл(?:ь|и|ью)\b", r"\bсколько стоит", r"\bзарплат"],
        vi=[r"\bdoanh thu\b", r"\blợi nhuận\b", r"\bgiá bao nhiêu\b"], pt=[r"\blucro\b"], it=[r"\bfatturato\b"],
        ar=[r"\b(?:ال)?إيرادات", r"\b(?:ال)?أرباح", r"\b(?:ال)?راتب", r"\bكم (?:يكلف|تكلف|تكلفة|ثمن)", "سعر",
            r"(?:كم|حجم|قيمة) (?:بلغت )?مبيعات"],
        el=[r"\bέσοδα\b", r"\bκέρδη\b", r"\bμισθ(?:ός|ού|ό|οί|ών|ούς)\b", r"\bπόσο κοστίζ", r"\bτζίρο"],
        hi=["राजस्व", "मुनाफ", "वेतन", "की कीमत", "कितना खर्च", "कितने पैसे", "कितनी कमाई"],
        th=["รายได้", "กำไร", "เงินเดือน", "ราคา", "ยอดขาย"],
        tr=[r"\bgelir(?:i|leri)\b", r"\bkâr(?:ı|ını)?\b(?! amac)", r"\bmaaş", r"\bfiyat", r"\bciro"],
        ro=[r"\bvenituri", r"\bprofit(?:ul|uri|urile|ului)?\b", r"\bsalariu",
            r"\bcât costă\b", r"\bprețul\b", r"\bcifra de afaceri\b"],
        ja=["売上", "売り上げ", "(?:純|営業|経常)利益", "利益(?:は|額)", "収益",
            "給料", "年収", "価格", "値段", "いくら(?!か|でも)"],
        ko=["매출", "(?:순|영업)이익", "이익(?:은|이|을) 얼마", "수익", "이윤", "급여", "연봉", "월급", "가격",
            "얼마(?!나| ?전| ?후| ?동안|간|만)"]),
        # (not 价值 value, 评价 evaluation, 消费 consumption, 费力 effort; 成本, cost, only with a figure
        # after it: "使用成本高", the cost of use is high, says none)
        _pattern("元", "美元", "欧元", "英镑", "镑", "日圆", "日元", "港币", "人民币", "台币", "美金", "RMB", "营收",
                 "收入", "销售额", "利润", "净利", "毛利", "产值", "营业额", "盈利", "亏损", "工资", "薪", "价格",
                 "(?<!评)价(?!值)", "(?<!消)费(?!力)", r"成本\D{0,8}\d", "资金", "投资", r"[$¥€£]", "万", "亿", "块",
                 "钱")),
    Attribute("a head count", "人数", _asks(
        en=[r"\bhow many (?:employees|staff|workers|people (?:work|does|do|did))\b", r"\bnumber of (?:employees|staff|"
            r"workers)\b", r"\bheadcount\b",
            r"\b(?:size of|how (?:large|big) is) (?:the |its |their )?workforce\b", r"\bhow many people\b.*\bemploy"],
        zh=["多少(?:名|个|位)?(?:员工|职工|雇员|工人)", "员工人数", "职工人数", "员工数量", "有多少人"],
        de=[r"\bwie viele (?:mitarbeiter|beschäftigte|angestellte)"], es=[r"\bcu[áa]ntos (?:empleados|trabajadores)\b"],
        fr=[r"\bcombien (?:d'employés|de salariés)\b"], ru=[r"\bсколько (?:сотрудник|работник)"],
        vi=[r"\bbao nhiêu nhân viên\b"], pt=[r"\bquantos funcionários\b"], it=[r"\bquanti dipendenti\b"],
        ar=[r"\bكم (?:عدد )?(?:الموظفين|موظفا?|العاملين)", r"\bعدد (?:الموظفين|العاملين)"],
        el=[r"\bπόσ(?:οι|ους) (?:υπαλλήλ|εργαζ[οό]μ[εέ]ν)", r"\bαριθμός (?:των )?(?:υπαλλήλων|εργαζομένων)"],
        hi=["कितने कर्मचारी", "कर्मचारियों की संख्या"],
        th=["พนักงานกี่คน", "จำนวนพนักงาน", "ลูกจ้างกี่คน"],
        tr=[r"\bkaç (?:çalışan|işçi|personel)", r"\b(?:çalışan|personel) sayısı"],
        ro=[r"\bcâți (?:angajați|salariați|muncitori)\b", r"\bnumărul de angajați\b"],
        ja=["従業員数", "社員数", "職員数", "従業員は何人", "社員は何人", "何人の従業員", "何人の社員"],
        ko=["직원 수", "직원은 몇", "직원이 몇", "몇 명의 직원",
            "임직원 수", "근로자 수"]),
        # (人才, talent, and 队伍, a team, only with a figure after them: "打造人才队伍" counts nobody)
        _pattern("员工", "职工", "职员", "雇员", "工人", "人员", "从业", "人数", "人口", "劳动力", "农民工",
                 f"(?:{_NUMBER})\\s*[万千百]?[余多]?\\s*[人名位]",
                 "(?:人才|队伍)[^，。；]{0,10}?(?:\\d|[一二三四五六七八九十百千万两]{2,})")),
    Attribute("a place to stay or eat", "住宿或餐饮", _asks(
        en=[r"\bhotels?\b", r"\bwhere (?:can|should|to) (?:i|we|one) stay\b", r"\brestaurants?\b", r"\bwhere to eat\b"],
        zh=["酒店", "宾馆", "住宿", "旅馆", "民宿", "餐厅", "饭店"],  # (not 住在哪: where they live)
        de=[r"\bhotels?\b", r"\bübernachten\b", r"\brestaurants?\b"], es=[r"\bhotel(?:es)?\b", r"\brestaurantes?\b"],
        fr=[r"\bhôtels?\b", r"\brestaurants?\b"], ru=[r"\bгостиниц", r"\bотел", r"\bресторан"],
        vi=[r"\bkhách sạn\b", r"\bnhà hàng\b"], pt=[r"\bhot[ée]is\b", r"\bhotel\b"], it=[r"\balbergh"],
        ar=["فندق", "فنادق", "مطعم", "مطاعم"],
        el=[r"\bξενοδοχεί", r"\bεστιατόρι"],
        hi=["होटल", "रेस्तरां", "रेस्टोरेंट"],
        th=["โรงแรม", "ร้านอาหาร"],
        tr=[r"\botel", r"\brestoran", r"\blokanta"],
        ro=[r"\bhotel", r"\brestaurant"],
        ja=["ホテル", "宿泊", "旅館", "レストラン"],
        ko=["호텔", "숙박", "숙소", "식당", "레스토랑"]),
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
        pt=[r"\btelefone\b"], it=[r"\bnumero di telefono\b"],
        ar=[r"\bرقم (?:ال)?هاتف", r"\bالبريد الإلكتروني", r"\bالموقع الإلكتروني"],
        el=[r"\bαριθμ(?:ός|ό) τηλεφώνου\b", r"\bηλεκτρονικ(?:ή|ού) (?:διεύθυνση|ταχυδρομείου)", r"\bιστοσελίδ"],
        hi=["फ़ोन नंबर", "फोन नंबर", "टेलीफ़ोन नंबर", "टेलीफोन नंबर", "ईमेल", "ई-मेल", "वेबसाइट का पता", "की वेबसाइट"],
        th=["เบอร์โทร", "หมายเลขโทรศัพท์", "อีเมล", "เว็บไซต์"],
        tr=[r"\btelefon numara", r"\be-posta", r"\bweb sitesi", r"\badresi nedir\b"],
        ro=[r"\bnum[ăa]r(?:ul)? de telefon\b", r"\badresa de e-mail\b", r"\bsite-ul",
            r"\badresa (?:companiei|firmei|sediului|biroului|fabricii|site-ului)", r"\bcare este adresa\b",
            r"\bla ce adresă\b"],
        ja=["電話番号", "メールアドレス", "ウェブサイト", "ホームページ", "公式サイト", "住所", "連絡先"],
        ko=["전화번호", "이메일", "웹사이트", "홈페이지", "주소",
            "연락처"]),
        # (a phone number needs its digits, an address its number: 路 or 号 alone are any road or signal)
        _pattern("电话", "热线", "传真", "邮箱", "电邮", "网址", "网站", "官网", "地址", r"\btel\b", "@", "http", "www",
                 r"\d{3,4}[\s\-]?\d{3,4}[\s\-]?\d{3,4}", r"[路街道][\d一二三四五六七八九十]",
                 r"[\d一二三四五六七八九十]+号")),
)

# Which languages have cues of their own. A question whose letters are all ASCII is read with
# English's cues as well: a short English question is often detected as another language ("Is Sun
# Huaqin married?": uz; "Zhang Tianren birthday?": tr). One with other letters is not ("Son
# yıllarda…", Turkish for "in recent years", is not about a son).
_OWN_CUES = frozenset(language for attribute in ATTRIBUTES for language in attribute.asks)
# A short question is often detected as a close neighbour of its language: Turkish as Azerbaijani
# or Uzbek ("Sun Huaqin evli mi?": az), Hindi as Nepali or Marathi. A question detected as one of
# these is read with its neighbour's cues. (Not Bulgarian for Russian: "жена" is a woman there.)
_NEIGHBOUR = {"az": "tr", "uz": "tr", "ne": "hi", "mr": "hi"}
# Arabic's short vowels, written now and then ("وُلد"), and the tatweel: the cues are unvowelled.
_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0656-\u065f\u0670\u0640]")  # (not hamza, madda)
# Arabic writes "and", "with", "to", "as" onto the word ("وزوجته", "بأرباح", "للموظفين"): a copy of
# the question with each word's proclitics taken off is read too, appended to it. The article stays:
# "عيد الميلاد" (Christmas) is no birthday, "المؤسسي" (institutional) no founder; the cues that take
# it say so ("(?:ال)?أرباح").
_ARABIC_PROCLITICS = re.compile(r"(?<!\w)(?:[وف]?[بلك]|[وف])(?=\w{3})")
_ARABIC_LIL = re.compile(r"(?<!\w)[وف]?لل(?=\w{3})")  # "للموظفين": to + the (ل + ال)
# Romanian written with cedillas (ş, ţ), as older keyboards do: the cues use commas (ș, ț).
_ROMANIAN_COMMAS = str.maketrans("şţŞŢ", "șțȘȚ")


def asked_attributes(question: str, language: str) -> list[Attribute]:
    """Every one of ATTRIBUTES a question in ``language`` asks for (a Chinese question folded to
    simplified first): "When was the university founded?" asks for a founding, whatever else it names."""
    if language == "zh":
        question = simplified(question)
    elif language == "ar":
        question = _ARABIC_MARKS.sub("", unicodedata.normalize("NFC", question))
        question += "\n" + _ARABIC_PROCLITICS.sub("", _ARABIC_LIL.sub("ال", question))
    elif language == "el":
        question = _unaccented_greek(question.casefold())
    elif language == "ro":
        question = question.translate(_ROMANIAN_COMMAS)
    read_as = [language] if language in _OWN_CUES else [_NEIGHBOUR[language]] if language in _NEIGHBOUR else []
    if question.isascii() and language != "en":  # short English is often detected as another language
        read_as.append("en")
    return [attribute for attribute in ATTRIBUTES
            if any(attribute.asks[cues].search(question) for cues in read_as if cues in attribute.asks)]


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
