"""The reading aid: every word of quoted Chinese with its pinyin and English, the question's own
words for what it reached, names spelled, numbers as they are, offsets into the document."""

from rag.gloss import english_names, gloss, tone_marks, word_by_word

SENTENCE = "孙华芹建议政府出台更加普惠的支持政策，降低中小企业数字化转型门槛，2025年投入1200万元。"


def test_tone_marks_follow_the_pinyin_rules():
    assert tone_marks("zhong1 xiao3 qi3 ye4") == "zhōng xiǎo qǐ yè"
    assert tone_marks("lu:4 gou3 liu2 de5") == "lǜ gǒu liú de"  # ü, the mark on o of "ou", a neutral tone
    assert tone_marks("Sun1 hua2") == "Sūn huá"


def test_each_word_reads_in_english_with_the_questions_words_first():
    words = gloss(SENTENCE, 1000, {"中小企业": "SMEs", "孙华芹": "Sun Huaqin"})
    by_text = {w.text: w for w in words}
    assert by_text["孙华芹"].english == "Sun Huaqin" and by_text["孙华芹"].asked == "Sun Huaqin"
    assert by_text["孙华芹"].pinyin == "sūn huá qín"
    assert by_text["中小企业"].english == "SMEs" and "small and medium enterprise" in by_text["中小企业"].senses
    assert by_text["建议"].pinyin == "jiàn yì" and by_text["建议"].english == "to propose"
    assert by_text["政府"].english == "government" and by_text["政府"].whole
    # numbers and marks read as they are: no pinyin, no gloss, not content
    assert not by_text["2025"].pinyin and not by_text["2025"].is_content and not by_text["，"].is_content
    assert not by_text["的"].is_content  # a particle
    # offsets point into the document: the words tile the sentence exactly
    assert "".join(w.text for w in words) == SENTENCE
    assert all(SENTENCE[w.start - 1000 : w.end - 1000] == w.text for w in words)


def test_every_content_word_gets_some_english():
    words = [w for w in gloss(SENTENCE) if w.is_content]
    assert words and all(w.english for w in words), [w.text for w in words if not w.english]


def test_a_name_the_dictionary_lacks_is_spelled_and_a_traditional_text_read_as_simplified():
    spelled = {w.text: w for w in gloss("張天任表示，天能集團將加大投入。")}
    assert spelled["張天任"].english == "Zhang Tianren" and spelled["張天任"].pinyin == "zhāng tiān rèn"
    assert spelled["表示"].english == "to express"


def test_the_users_glossary_names_keep_the_texts_own_letters():
    names = english_names({"sk hynix": ["SK海力士"], "transfar group": ["传化集团"], "npc": ["全国人大"],
                           "ministry of industry": ["工信部"]})
    assert names == {"SK海力士": "SK Hynix", "传化集团": "Transfar Group", "全国人大": "NPC",
                     "工信部": "Ministry of Industry"}
    assert english_names({"li qiang": ["李强"], "wang yi": ["王毅"]}) == {"李强": "Li Qiang", "王毅": "Wang Yi"}
    words = {w.text: w for w in gloss("传化集团发布了大模型。", names=names)}
    assert words["传化集团"].english == "Transfar Group" and not words["传化集团"].asked


def test_word_by_word_line():
    line = word_by_word(gloss("孙华芹建议政府出台政策", asked={"孙华芹": "Sun Huaqin"}))
    assert line == "Sun Huaqin to propose government to officially launch policy"
