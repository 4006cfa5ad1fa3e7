"""What a question asks for, and whether a passage says it (rag/asked.py)."""

import unicodedata

import pytest

from rag.asked import ATTRIBUTES, asked_attributes, says_it, unsaid
from rag.language import detect

BY_NAME = {a.name: a for a in ATTRIBUTES}


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
    ("How much does a machine tool cost?", "en", "a revenue, profit or price"),
    ("Which university did Yu Xubo graduate from?", "en", "their schooling"),
    ("Where did Li Lecheng go to university?", "en", "their schooling"),
    ("孙华芹喜欢吃什么？", "zh", "their tastes"),
    ("What is Sun Huaqin's favourite food?", "en", "their tastes"),
    ("Which hotel should I book in Hangzhou?", "en", "a place to stay or eat"),
    ("What is Transfar's phone number?", "en", "contact details"),
    ("What is Transfar's website?", "en", "contact details"),
    ("كم عمر تشانغ فان؟", "ar", "an age"),
    ("Πού γεννήθηκε ο Τζανγκ Τιανρέν;", "el", "where or when they were born"),
    ("ली लेचेंग ने किस विश्वविद्यालय से पढ़ाई की?", "hi", "their schooling"),
    ("ซุนหัวฉินแต่งงานแล้วหรือยัง", "th", "their family"),
    ("Transfar ne zaman kuruldu?", "tr", "when or how it was founded"),
    ("Câți angajați are SK Hynix în China?", "ro", "a head count"),
    ("通用技術集団の売上はいくらですか？", "ja", "a revenue, profit or price"),
    ("전화번호가 뭐예요?", "ko", "contact details"),
    ("ข้อมูลการติดต่อ เบอร์โทรของทรานส์ฟาร์คืออะไร", "th", "contact details"),
    ("Ποιο ξενοδοχείο προτείνετε στο Πεκίνο;", "el", "a place to stay or eat"),
    ("في أي عام وُلد لي له تشنغ؟", "ar", "where or when they were born"),  # vowelled: وُلد
    (unicodedata.normalize("NFD", "في أي جامعة درس لي لي تشنغ؟"), "ar", "their schooling"),  # decomposed hamza
    ("Câţi angajaţi are SK Hynix?", "ro", "a head count"),  # cedillas for commas
    ("ΠΟΥ ΓΕΝΝΗΘΗΚΕ Ο ΖΑΝΓΚ ΦΑΝ;", "el", "where or when they were born"),  # capitals, written unaccented
    ("Πόσων χρονών είναι ο Ζανγκ Φαν;", "el", "an age"),
    ("ΠΟΣΩΝ ΧΡΟΝΩΝ ΕΙΝΑΙ Ο ΖΑΝΓΚ ΦΑΝ;", "el", "an age"),
    ("وكم تبلغ أرباح الشركة وبالإيرادات؟", "ar", "a revenue, profit or price"),
    ("كم عدد الموظفين للشركة؟", "ar", "a head count"),
    ("Ποσους υπαλληλους εχει η Transfar;", "el", "a head count"),  # typed without accents
    ("ما هي الأرباح السنوية لمجموعة تشوانهوا؟", "ar", "a revenue, profit or price"),  # the article on أرباح
    ("ومن هي زوجته؟", "ar", "their family"),  # "and" on one word, "his" on the other
    ("كم عدد الموظفين في الشركة؟", "ar", "a head count"),
    ("Zhang Tianren birthday?", "tr", "where or when they were born"),  # short English detected as Turkish
    # a short question detected as a neighbour of its language is read with the neighbour's cues
    ("Sun Huaqin evli mi?", "az", "their family"),
    ("通用技術集団の売上はいくらですか？", detect("通用技術集団の売上はいくらですか？"), "a revenue, profit or price"),
    # a short English question detected as another language is read with English's cues
    ("Is Sun Huaqin married?", "uz", "their family"),
])
def test_what_a_question_asks_for(question, language, attribute):
    assert attribute in [a.name for a in asked_attributes(question, language)]


@pytest.mark.parametrize(("question", "language"), [
    ("What did Sun Huaqin propose for SMEs?", "en"),
    ("孙华芹对中小企业提出了什么建议？", "zh"),
    ("科学家喜欢用什么样的传感方式来测量全球辐射?", "zh"),  # tend to, not like
    ("他最喜欢的工作方式是什么？", "zh"),
    ("¿Cuáles son sus ideas?", "es"),  # Spanish "son" is "are", not a son
    ("Welchen Preis erhielt er?", "de"),  # a prize, not a price
    ("Сколько лет длилась война?", "ru"),  # a duration, not an age
    ("What did Xu Guanju recommend to address these problems?", "en"),  # address as a verb
    ("Ne zaman?", "tr"),  # Turkish "ne" is "what"
    ("Son yıllarda yapay zekâ ne değişti?", "tr"),  # "in recent years": no son, no English cues
    ("Kto był founder spółki, Łukasz?", "pl"),  # not ASCII: a language without cues is not read with English's
    ("Who was the first Doctor to travel with a married couple?", "en"),  # a couple, not their marriage
    ("ماذا حدث في القرن الثالث قبل الميلاد؟", "ar"),  # before Christ's birth: BC
    ("राष्ट्रपति ने क्या कहा?", "hi"),  # a president (राष्ट्रपति), not a husband (पति)
    ("यह कैसे पता चला?", "hi"),  # to know, not an address
    ("พายุที่ทำให้ไฟดับถึงสี่วันเกิดขึ้นในปีอะไร", "th"),  # "four days" + "happened", not a birthday
    ("Ne zaman gelir?", "tr"),  # "comes", not income
    ("얼마나 오래 걸렸나요?", "ko"),  # how long, not how much
    ("Cine a protestat la adresa guvernului?", "ro"),  # towards the government, not its address
    ("Cum va adresa guvernul aceste probleme?", "ro"),  # address as a verb
    ("Cum profită IMM-urile de AI?", "ro"),  # benefit from
    ("Bu fikir nereden doğdu?", "tr"),  # where the idea came from
    ("Hangi şirketlerle işbirliği kurdu?", "tr"),  # set up a partnership
    ("Eşi benzeri görülmemiş bir dönüşüm mü?", "tr"),  # unprecedented
    ("AIから生まれた技術は何ですか？", "ja"),  # a technology born of AI
    ("ガソリン車から卒業するのはいつですか？", "ja"),  # moving on from petrol cars
    ("稲妻のような速さで何が変わった？", "ja"),  # lightning, not a wife
    ("AIは中小企業にどんな利益をもたらしますか？", "ja"),  # benefit, not profit
    ("나이지리아에서 AI는 어떻게 쓰이나요?", "ko"),  # Nigeria, not an age
    ("사고 발생일은 언제입니까?", "ko"),  # the day it happened, not a birthday
    ("얼마 전에 무엇이 발표되었나요?", "ko"),  # a while ago
    ("AI가 중소기업에 어떤 이익을 주나요?", "ko"),  # benefit
    ("เหตุการณ์นี้เกิดเมื่อไร", "th"),  # when did this happen
    ("ما هي التحديات التي تواجه مؤسسات التصنيع؟", "ar"),  # institutions, not a founder
    ("متى تخرج الشركة من السوق الروسية؟", "ar"),  # leaves the market, not graduates
    ("كيف تتعامل الحكومة مع المؤسسات الصغيرة وبالمؤسسات الكبيرة؟", "ar"),  # institutions, article on or off
    ("هل تغلق الشركة أبوابها في عيد الميلاد؟", "ar"),  # Christmas, no birthday
    ("ما التاريخ الميلادي لانعقاد المؤتمر؟", "ar"),  # the Gregorian date
    ("أين مكان المولد الكهربائي في المصنع؟", "ar"),  # the electric generator
    ("كم عدد الأطفال في المدارس الريفية؟", "ar"),  # children in schools: nobody's family
    ("ما أهمية العمل المؤسسي في الشركة؟", "ar"),  # institutional
    ("Σε διάστημα πόσων χρόνων θα ολοκληρωθεί το έργο;", "el"),  # within how many years
    ("Σε διαστημα ποσων χρονων θα ολοκληρωθει το εργο;", "el"),  # the same, typed unaccented
    ("Ποιο είναι το κέρδος για τις ΜΜΕ;", "el"),  # a gain
    ("Когда прибыл Си Цзиньпин?", "ru"),  # arrived, not profit
    ("निवेशकों का पसंदीदा क्षेत्र कौन सा है?", "hi"),  # investors' favourite sector
    ("कितने 5G बेस स्टेशनों की स्थापना की गई?", "hi"),  # installed, not founded
    ("What did Xi say in his address?", "en"),  # a speech
    ("На чём основан подход?", "ru"),  # based on
    ("в адрес правительства", "ru"),
    ("Which universities study AI?", "en"),
    ("How many students does Tsinghua University have?", "en"),
    ("What are the founding principles?", "en"),
    ("How will AI change the age of manufacturing?", "en"),
    ("What marked the birth of the platform?", "en"),
    ("Who was his first-born?", "en"),
    ("What measures were set up for SMEs?", "en"),
    ("What sales strategy does Transfar use?", "en"),
    ("How much does the policy help SMEs?", "en"),
    ("To what degree is the factory automated?", "en"),
    ("How is the phone industry using AI?", "en"),
    ("Who will staff the new factories?", "en"),
    ("电话会议讨论了什么？", "zh"),
    ("Perché è utile l'IA?", "it"),
    ("Quels bénéfices l'IA apporte-t-elle ?", "fr"),
    ("На основании чего принято решение?", "ru"),
    ("À qui s'adresse ce plan ?", "fr"),
])
def test_questions_that_ask_for_none(question, language):
    assert asked_attributes(question, language) == []


def test_every_attribute_asked_is_read():
    """A question asking for two kinds of fact is refused when either is unsaid, not only the first."""
    question = "Wo ist er geboren und wie alt ist er?"
    assert [a.name for a in asked_attributes(question, "de")] == ["an age", "where or when they were born"]
    assert unsaid(question, "de", ["张帆现年52岁。"]).name == "where or when they were born"
    assert unsaid(question, "de", ["张帆现年52岁，浙江杭州人。"]) is None


def test_an_ascii_question_in_a_language_without_cues_is_read_with_english_cues():
    assert [a.name for a in asked_attributes("Siapa founder perusahaan itu?", "id")] == ["when or how it was founded"]


@pytest.mark.parametrize(("attribute", "passage"), [
    ("an age", "张帆，男，汉族，1972年10月生，浙江杭州人。"),
    ("an age", "张帆现年52周岁。"),
    ("an age", "张帆（1972— ），电气工程师。"),
    ("an age", "传化集团创立于1986年。"),  # "How old is Transfar?"
    ("where or when they were born", "张帆，男，汉族，1972年10月生，浙江杭州人。"),
    ("where or when they were born", "他是土生土长的萧山人。"),
    ("their schooling", "他考入清华大学机械系。"),
    ("their schooling", "他是北大校友。"),
    ("when or how it was founded", "传化创于1986年，以2000元起家。"),
    ("a head count", "公司现有员工3000余人。"),
    ("a head count", "工厂有三千余名工人。"),
    ("a head count", "公司有职员1,200多名。"),
    ("a revenue, profit or price", "一台卖三千多块。"),
    ("a revenue, profit or price", "该机床售价约为每台80万。"),
    ("a revenue, profit or price", "订阅费用为每月99元。"),
    ("a head count", "研发人才队伍达2000人。"),  # counted
    ("a head count", "集聚各类人才超1.5万。"),  # talent counted, no 人 after the figure
    ("a head count", "科技人才队伍规模超过两千。"),
    ("a revenue, profit or price", "单位生产成本下降18%。"),  # a cost with a figure
    ("a revenue, profit or price", "平均月薪8000。"),
    ("a revenue, profit or price", "毛利率为35.2%。"),
    ("contact details", "服务热线：400-826-8826"),
    ("contact details", "地址：杭州市萧山区市心北路三号"),
    ("contact details", "Tel: 0571-8288 8888"),
    ("a place to stay or eat", "代表们下榻北京饭店附近。"),
    ("their tastes", "他对龙井茶情有独钟。"),
    ("their family", "他的长子在公司任职。"),
])
def test_a_passage_that_says_it(attribute, passage):
    assert says_it(BY_NAME[attribute], [passage])


@pytest.mark.parametrize(("attribute", "passage"), [
    ("an age", "张帆表示，以大模型为代表的新技术正加速演进。"),
    ("their schooling", "孙华芹关注到人工智能在中小企业中的落地难问题。"),
    ("when or how it was founded", "于旭波表示要攻坚成果转化。"),
    ("a head count", "SK海力士半导体(中国)有限公司生产部经理孙华芹表示。"),
    ("a head count", "实施“智能制造人才雁阵”计划，打造多层次人才队伍。"),  # talent named, not counted
    ("a revenue, profit or price", "企业面临使用成本高、技术门槛高等问题，要深度挖掘高价值的应用。"),  # cost, value
    ("a revenue, profit or price", "消费端迎来全面升级，完善评价标准。"),  # consumption, evaluation
    ("contact details", "要发挥信号作用，走好这条路。"),  # 号 and 路 alone are no address
    ("contact details", "2024-2025年规划"),  # years are no phone number
    ("an age", "2021—2025年，工厂完成改造。"),  # nor a span of years a life
    ("a place to stay or eat", "代表们在北京出席会议。"),
    ("their tastes", "徐冠巨表示产业智能化进程仍处于起步阶段。"),
])
def test_a_passage_that_does_not(attribute, passage):
    assert not says_it(BY_NAME[attribute], [passage])


def test_unsaid_reads_the_best_three_passages_only():
    passages = ["张帆表示要加快转型。", "张帆认为要发展大模型。", "张帆谈到中小企业。", "张帆生于1972年。"]
    assert unsaid("How old is Zhang Fan?", "en", passages).name == "an age"
    assert unsaid("How old is Zhang Fan?", "en", passages[1:]) is None  # the third says it
    assert unsaid("What did Zhang Fan say?", "en", passages) is None


def test_a_traditional_question_is_folded_before_its_cues_are_read():
    assert detect("張帆今年幾歲？") == "zh"
    assert unsaid("張帆今年幾歲？", "zh", ["张帆表示要加快转型。"]).name == "an age"


def test_where_someone_lives_is_no_lodging():
    assert asked_attributes("英国移民住在哪里？", "zh") == []
    assert [a.name for a in asked_attributes("代表们在北京住在哪家酒店？", "zh")] == ["a place to stay or eat"]
