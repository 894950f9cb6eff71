"""The fitted extractive answerer (kb/answer/reader.py) on passages written here, not taken from any eval set."""
import json

import pytest

from kb.answer import NOT_FOUND, extractive_answer
from kb.answer.kinds import kind_of
from kb.answer.scorer import MODEL_FILE, from_json
from kb.retrieve import Hit

pytestmark = pytest.mark.unit


def hit(text, rank=1, date="2022-06"):
    return Hit(rank=rank, chunk_id=f"c{rank}", text=text, score=1.0 / rank, doc_id="d.txt", title="测试文档",
               source="d.txt", date=date, article="测试文章", dense_score=0.9)


def ask(tokenizer, question, *texts, **kw):
    return extractive_answer(question, [hit(t, i + 1) for i, t in enumerate(texts)], tokenizer, lambda t: 3.0, **kw)


@pytest.mark.parametrize("question, kind", [
    ("示范园区在哪几个镇布局？", "list"), ("新建实验室市里补助多少钱？", "amount"), ("这个基金是哪一年设立的？", "year"),
    ("研究院的院长是谁？", "person"), ("申报截止到什么时候？", "date"), ("研发投入占营收的比重是多少？", "percent"),
    ("园区共有多少家企业？", "count"), ("这项政策依据哪个文件？", "title"), ("“揭榜挂帅”是什么意思？", "define"),
    ("这家公司的注册资本是多少？", "amount"), ("基地去年的销售额有多少？", "amount"),
])
def test_kind_table(question, kind):
    assert kind_of(question).name == kind


def test_a_refusal_names_only_words_that_name_something(tokenizer):
    from kb.answer.question import analyse
    part = analyse("青溪那边的注册资本到底是多少？", tokenizer, lambda t: 6.0, 0.5).parts[0]
    assert {"那边", "到底"} <= set(part.rare)
    assert "注册资本" in part.naming and not {"那边", "到底"} & set(part.naming)


@pytest.mark.parametrize("question, phrasing", [
    ("青溪园什么时候建成？", "时候"), ("青溪实验室的主任叫什么名字？", "名字"), ("青溪园区的企业加起来有多少家？", "起来"),
    ("青溪园单户企业最高能贷多少？", "能贷"), ("青溪园的巡查多久调度一次？", "多久"),
])
def test_a_refusal_names_no_word_of_how_the_question_asks(tokenizer, question, phrasing):
    from kb.answer.question import analyse
    part = analyse(question, tokenizer, lambda t: 6.0, 0.5).parts[0]
    assert phrasing in part.rare      # rare in the corpus, but a refusal naming it would explain nothing
    assert phrasing not in part.naming and phrasing not in part.asked
    assert "青溪" in part.naming


def test_what_is_asked_stays_nameable_when_it_is_an_everyday_word(tokenizer):
    from kb.answer.question import analyse
    assert analyse("青溪园的主任是谁？", tokenizer, lambda t: 6.0, 0.5).parts[0].asked == ("主任",)
    part = analyse("青溪园的注册资本是多少？", tokenizer, lambda t: 6.0, 0.5).parts[0]
    assert part.asked == ("注册资本",) and "注册资本" in part.naming     # once, not with its pieces 注册, 资本


def test_a_refusal_reason_says_what_is_missing_not_how_the_question_asked(tokenizer):
    # Every word rare (IDF 6): 主任 and 名字 are words a refusal could name, yet only how the question asks.
    a = extractive_answer("青溪实验室主任叫什么名字？", [hit("青溪实验室聚焦新材料研发，现有科研人员120人。")],
                          tokenizer, lambda t: 6.0)
    assert not a.answered and a.explain[0].reason == "找到的句子中没有所问的人名"


def test_a_year_is_not_a_count():
    count = kind_of("有多少家？").evidence
    assert not count.search("2019年，示范区正式获批。")
    assert count.search("2019年，示范区入驻企业36家。") and count.search("共有两家") and count.search("约2.5万人")


def test_amount_question_quotes_the_sentence_with_the_amount(tokenizer):
    a = ask(tokenizer, "新认定的市级众创空间奖励多少？",
            "全市众创空间发展迅速，服务能力不断提升。新认定为市级众创空间的，一次性奖励15万元。众创空间要加强管理。")
    assert a.answered and "15万元" in a.text and a.text.endswith("[1]。")
    s, e = a.citations[0].spans[0]
    assert "15万元" in a.citations[0].hit.text[s:e]
    assert a.explain[0].kind == "amount" and a.explain[0].top[0].features


def test_a_year_the_passages_do_not_hold_is_refused_with_its_reason(tokenizer):
    a = ask(tokenizer, "2016年示范区的技术合同成交额是多少？",
            "2021年，示范区技术合同成交额达到86亿元，同比增长21%。")
    assert dict(a.explain[0].top[0].features)["year_missing"] == 1.0
    assert not a.answered and a.text == NOT_FOUND
    assert "2016" in a.explain[0].reason and "2021" in a.explain[0].reason


def test_a_quote_without_the_kind_asked_for_is_passed_over(tokenizer):
    a = ask(tokenizer, "孵化器的认定奖励是多少钱？",
            "孵化器认定工作由市科技局负责组织实施，奖励按年度兑现。", "经认定的孵化器，给予一次性奖励30万元。")
    assert a.answered and "30万元" in a.text


def test_english_question_gets_a_chinese_refusal(tokenizer):
    a = ask(tokenizer, "What is the budget of the lab?", "The lab budget is 3 million yuan. 实验室预算为300万元。")
    assert not a.answered and a.explain[0].reason == "请用中文提问"


def test_explain_is_in_the_json_only_when_asked(tokenizer):
    a = ask(tokenizer, "新认定的市级众创空间奖励多少？", "新认定为市级众创空间的，一次性奖励15万元。")
    assert "explain" not in a.to_json()
    part = a.to_json(explain=True)["explain"][0]
    assert part["kind"] == "amount" and "part_coverage" in part["top"][0]["features"]


def test_model_file_must_match_the_features():
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert 0 < from_json(data).threshold < 1
    data["candidate"]["features"] = data["candidate"]["features"][:-1]
    with pytest.raises(ValueError):
        from_json(data)


@pytest.mark.parametrize("question, words", [
    ("新校区占地多少亩？", ["校区", "占地", "亩"]), ("这家研究院是哪一年成立的？", ["成立"]),
    ("该公司的股票代码是多少？", ["股票代码"]),
])
def test_slot_is_the_words_beside_the_question_word(tokenizer, question, words):
    assert all(w in tokenizer.slot(question) for w in words)
    assert "多少" not in tokenizer.slot(question) and "是" not in tokenizer.slot(question)


@pytest.mark.parametrize("question, unit", [
    ("青溪园区共有多少家企业？", "家"), ("研修班首期办了几天？", "天"), ("新校区占地多少亩？", "亩"),
    ("示范线的年产能是多少万吨？", "吨"), ("实验室有几位院士？", "位"), ("项目用了几个月建成？", "月"),
    ("签约了多少个项目？", ""), ("企业能拿到多少支持？", ""), ("推荐了多少人才？", ""), ("这几年变化大吗？", ""),
])
def test_the_unit_a_count_is_asked_in(tokenizer, question, unit):
    from kb.answer.kinds import UNITS
    assert tokenizer.asked_unit(question, UNITS) == unit


def test_a_figure_in_the_unit_asked_or_one_counting_the_same_things():
    from kb.answer.kinds import holds_unit
    assert holds_unit("名", "研发团队共有1.5万人") and holds_unit("家", "集聚企业20余家") and holds_unit("月", "历时3个月")
    assert holds_unit("gwh", "产能达50GWh") and holds_unit("位", "入驻院士两位")
    assert not holds_unit("天", "历时3个月") and not holds_unit("吨", "11月11日签约") and not holds_unit("家", "吸引人才30名")


def test_a_count_in_other_units_is_named_as_the_reason(tokenizer):
    # Whether it is refused is the fitted model's call; what a refusal says is not.
    a = ask(tokenizer, "青溪实验室的合作协议有效期是几年？",
            "11月8日下午，青溪区人民政府与青溪实验室签订全面合作协议，双方将共建12个联合创新中心。", threshold=0.999)
    assert dict(a.explain[0].top[0].features)["unit_missing"] == 1.0
    assert not a.answered and a.explain[0].reason == "找到的句子中没有以“年”计的数字"


def test_a_vocabulary_word_can_be_what_is_asked(tmp_path):
    # jieba tags user words it has no tag for as it tags punctuation ("x"): they must still count as nouns.
    from kb.text import Tokenizer
    (tmp_path / "vocab.txt").write_text("青溪指数\n", encoding="utf-8")
    t = Tokenizer(tmp_path / "vocab.txt", None, cache_dir=tmp_path / "jieba")
    assert ("青溪指数", "nz") in t.tagged("示范区去年的青溪指数是多少")
    assert "青溪指数" in t.slot("示范区去年的青溪指数是多少？")
    assert t.answer_head("示范区去年的青溪指数是多少？") == ["青溪指数"]
    assert ("，", "x") in t.tagged("指数，是多少")


def test_dense_similarity_uses_the_sentence_vectors_and_is_missing_without_them(tokenizer):
    import numpy as np

    def embed(texts, as_query):
        # a bag of characters: enough to make a paraphrase closer than an unrelated sentence
        vs = [np.array([t.count(ch) for ch in "孵化器奖励万元众创空间管理"], float) + 1e-6 for t in texts]
        return [v / np.linalg.norm(v) for v in vs]

    texts = ("众创空间要加强日常管理。经认定的孵化器，给予一次性奖励30万元。",)
    with_vectors = ask(tokenizer, "孵化器奖励多少万元？", *texts, embed=embed)
    without = ask(tokenizer, "孵化器奖励多少万元？", *texts)
    top = dict(with_vectors.explain[0].top[0].features)
    assert with_vectors.answered and "30万元" in with_vectors.text
    assert 0.5 < top["dense_similarity"] <= 1.0 + 1e-6
    # without vectors the feature is missing (read as its training mean), not "dissimilar"
    assert np.isnan(dict(without.explain[0].top[0].features)["dense_similarity"])
    assert without.answered and "30万元" in without.text


def test_a_part_asking_whether_the_sources_agree_is_no_question_of_its_own(tokenizer):
    from kb.answer.question import analyse
    q = analyse("示范园区的孵化器有多少家？春季刊和秋季刊的说法一样吗？", tokenizer, lambda t: 3.0, 0.5)
    assert len(q.parts) == 1 and q.parts[0].compare
    plain = analyse("示范园区的孵化器有多少家？其中国家级有几家？", tokenizer, lambda t: 3.0, 0.5)
    assert len(plain.parts) == 2 and not any(p.compare for p in plain.parts)
    # Its words (刊, 说法) are not what a passage must hold to support the answer.
    alone = analyse("示范园区的孵化器有多少家？", tokenizer, lambda t: 3.0, 0.5)
    assert q.whole.terms == alone.whole.terms


def test_fact_parts_leave_out_the_comparison():
    from kb.answer.question import fact_parts
    assert fact_parts("孵化器有多少家？春季刊和秋季刊各怎么说？", 3) == (["孵化器有多少家"], True)
    assert fact_parts("孵化器有多少家？其中国家级几家？", 3) == (["孵化器有多少家", "其中国家级几家"], False)


def test_a_comparison_quotes_each_article_and_says_whether_they_agree(tokenizer):
    def hit_in(text, rank, article):
        return Hit(rank=rank, chunk_id=f"c{rank}", text=text, score=1.0 / rank, doc_id=f"d{rank}.txt",
                   title=f"期刊{rank}", source=f"d{rank}.txt", date="2022-06", article=article, dense_score=0.9)
    hits = [hit_in("截至年底，示范园区共建成科技企业孵化器36家，在孵企业800余家。", 1, "春季刊报道"),
            hit_in("示范园区现有科技企业孵化器41家，数量居全省前列。", 2, "秋季刊报道")]
    a = extractive_answer("示范园区的科技企业孵化器有多少家？春季刊和秋季刊说法一样吗？", hits, tokenizer,
                          lambda t: 3.0, threshold=0.0)
    assert a.answered and "36家" in a.text and "41家" in a.text
    assert a.text.startswith("各处说法不一样：《春季刊报道》一文：") and "《秋季刊报道》一文：" in a.text
    assert [c.n for c in a.citations] == [1, 2]


def test_agreement_compares_the_figure_of_the_kind_asked():
    from kb.answer.kinds import kind_of
    from kb.answer.reader import _agreement

    class P:
        kind = kind_of("资助多少钱？")
    assert _agreement(P, ["2021年资助50万元。", "当年资助50万元，覆盖3家。"]) == "各处说法一致："
    assert _agreement(P, ["资助50万元。", "资助80万元。"]) == "各处说法不一样："
    assert _agreement(P, ["资助50万元。", "另有资助。"]) == "各处说法："

    class Count:
        kind = kind_of("有多少家？")
    # The whole number, not its first digit (104家 and 1家 differ); a year is when, not the count.
    assert _agreement(Count, ["孵化器104家。", "孵化器1家。"]) == "各处说法不一样："
    assert _agreement(Count, ["2021年孵化器12家。", "孵化器12家，另有3家在建。"]) == "各处说法一致："


@pytest.mark.parametrize("asked, quoted, n", [
    ("开发区的招商处处长是谁？", "开发区招商处副处长王某介绍", 0),        # 处长 is not in the role table
    ("研究中心的主任是谁？", "研究中心副主任张某表示", 1),
    ("研究中心的主任是谁？", "研究中心主任张某、副主任李某出席", 0),
    ("全市有多少家省级孵化器？", "全市共有国家级孵化器12家", 1),
    ("全市有多少家省级孵化器？", "全市共有省级孵化器30家，其中国家级12家", 0),
    ("第三批试点名单里有几家企业？", "首批试点名单共有8家企业", 1),
    ("第三批试点名单里有几家企业？", "第3批试点名单共有8家企业", 0),
    ("园区上半年产值多少？", "园区全年产值达100亿元", 1),
    ("天宁区的孵化器有几家？", "钟楼区拥有孵化器5家", 1),
    ("武进国家高新区有多少家企业？", "武进区有企业8000家", 1),   # the longer name is not read as the district
    ("武进国家高新区有多少家企业？", "武进高新区有企业3000家", 0),
    ("青溪材料公司去年净利润多少？", "去年青溪材料公司营业收入达8.2亿元", 1),
    ("青溪材料公司去年净利润多少？", "去年营业收入8.2亿元，净利润1.1亿元", 0),
    ("青溪研究院的注册资本是多少？", "青溪研究院累计争取各类资金3000万元", 1),
    ("新建的孵化器奖励多少？", "对新建孵化器给予最高50万元资助", 0),      # one family: a grant by any name
])
def test_qualifier_clashes(asked, quoted, n):
    from kb.answer.qualifiers import clashes
    assert clashes(asked, quoted) == n


def test_ordinals_read_chinese_and_arabic_numerals():
    from kb.answer.qualifiers import ordinals
    assert ordinals("第二十一届大会、首批名单、第3期、第十轮") == {(21, "届"), (1, "批"), (3, "期"), (10, "轮")}


def test_refusal_features_of_a_near_miss(tokenizer):
    # The passage names the subject of the question but gives another year's figure, stated in the quote.
    a = ask(tokenizer, "2019年示范区的专利授权量是多少件？",
            "示范区2019年启动专利导航工程。2020年，示范区专利授权量达到3200件。")
    top = [dict(q.features) for q in a.explain[0].top]
    with_figure = next(t for t in top if t["year_other_in_quote"] == 1.0)
    assert with_figure["figure_near_slot"] > 0      # 授权量 … 3200件: the figure sits by the slot words
    assert all(t["qualifier_clash"] == 0.0 for t in top)


def test_a_quote_restating_the_questions_own_figure(tokenizer):
    from kb.answer.features import stated_figures_only
    from kb.answer.candidates import Candidate
    from kb.answer.question import analyse
    q = analyse("那12家孵化器里，有几家是国家级？", tokenizer, lambda t: 3.0, 0.5)
    part = q.parts[0]
    restated = Candidate(0, 0, 10, "全市共有孵化器12家。", "全市共有孵化器12家。", 1, False, True)
    answered = Candidate(0, 0, 10, "其中国家级孵化器5家。", "其中国家级孵化器5家。", 1, False, True)
    assert stated_figures_only(part, restated, None) == 1.0
    assert stated_figures_only(part, answered, None) == 0.0


def test_a_quote_of_another_level_is_refused_with_its_reason(tokenizer):
    a = ask(tokenizer, "新区的区级孵化器有几家？", "新区共有市级孵化器15家，服务企业300余家。")
    top = dict(a.explain[0].top[0].features)
    assert top["qualifier_clash"] > 0 and top["qualifier_clash_passage"] > 0
    if not a.answered:                                 # the fitted weights decide; a refusal says why
        assert "市级" in a.explain[0].reason and "区级" in a.explain[0].reason
    else:
        assert "15家" in a.text


def test_conflicts_name_what_was_asked_and_what_was_found():
    from kb.answer.qualifiers import conflicts
    assert conflicts("高新区的区级孵化器有几家？", "高新区有市级孵化器5家") == [("区级", "市级")]
    assert conflicts("第三届论坛在哪举办？", "首届论坛在园区举办") == [("第3届", "第1届")]
    assert conflicts("协会的会长是谁？", "协会副会长刘某致辞") == [("会长", "副会长")]


@pytest.mark.parametrize("question, chinese", [
    ("园区的GDP是多少？", True), ("XYZ Tech 2021年营收多少？", True),
    ("What was the revenue of 某某科技 in 2021?", False), ("Which lab did 王某 found?", False),
    ("How many firms are there?", False),
])
def test_a_question_written_in_english_around_a_chinese_name_is_not_chinese(question, chinese):
    from kb.answer.question import is_chinese
    assert is_chinese(question) is chinese


def test_english_question_around_a_chinese_name_gets_a_chinese_refusal(tokenizer):
    a = ask(tokenizer, "What is the budget of 测试实验室?", "THE BUDGET OF 测试实验室 IS LARGE. 测试实验室预算为300万元。")
    assert not a.answered and a.explain[0].reason == "请用中文提问"


def _env(tokenizer, question, text):
    from kb.answer.features import Env
    from kb.answer.question import analyse
    q = analyse(question, tokenizer, lambda t: 3.0, 0.5)
    return q.parts[0], Env(q, [hit(text)], tokenizer, 99.0)


def _quote(text, sentence):
    from kb.answer.candidates import Candidate
    a = text.index(sentence)
    return Candidate(0, a, a + len(sentence), sentence, text.lower(), 1, False, a == 0)


def test_a_long_quote_is_cut_to_the_clauses_that_answer(tokenizer):
    from kb.answer.reader import covering_run
    sentence = ("据介绍，青溪湖畔新材料产业园今年又引进了一个大项目，青溪新材料研究中心投资8亿元，"
                "将为全区新材料产业集聚高端人才、完善公共服务体系、打造区域创新高地提供有力支撑。")
    part, env = _env(tokenizer, "青溪新材料研究中心投资多少？", sentence)
    cut = covering_run(part, _quote(sentence, sentence), env)
    assert cut.text.rstrip("，") == "青溪新材料研究中心投资8亿元" and cut.fragment
    assert sentence[cut.start:cut.end] == cut.text


def test_the_cut_keeps_neighbouring_facts_of_the_kind_asked_and_short_quotes_whole(tokenizer):
    from kb.answer.reader import covering_run
    sentence = ("青溪电子公司生产的高端柔性电路板产品荣获省级优秀新产品称号，2021年实现国内市场占有率42.5%，"
                "海外市场占有率18.2%，下一步将继续扩大产能、拓展海外渠道。")
    part, env = _env(tokenizer, "青溪电子的柔性电路板国内市场占有率是多少？", sentence)
    cut = covering_run(part, _quote(sentence, sentence), env)
    assert "42.5%" in cut.text and "18.2%" in cut.text and "扩大产能" not in cut.text
    short = "青溪新材料研究中心投资8亿元，将于年内开工。"
    part, env = _env(tokenizer, "青溪新材料研究中心投资多少？", short)
    assert covering_run(part, _quote(short, short), env).text == short


def test_a_person_asked_in_a_role_is_held_only_by_a_name_in_that_role(tokenizer):
    from kb.answer.features import kind_held
    sentence = "李强是青溪材料研究院的一员，院长张伟介绍了研究院的规划。"
    part, env = _env(tokenizer, "青溪材料研究院的院长是谁？", sentence)
    member, head = sentence.split("，")
    assert kind_held(part, _quote(sentence, member), env) == 0.0       # a name, not the role
    assert kind_held(part, _quote(sentence, head), env) == 1.0
    part, env = _env(tokenizer, "青溪材料研究院的院长是谁？", "副院长张华出席。")
    assert kind_held(part, _quote("副院长张华出席。", "副院长张华出席。"), env) == 0.0
    part, env = _env(tokenizer, "调研是谁带的队？", sentence)           # no role asked: a name is enough
    assert kind_held(part, _quote(sentence, member), env) == 1.0


@pytest.mark.parametrize("part, words, kind", [
    ("青溪晚报那篇里，示范区有多少家企业", "青溪晚报", "news"),
    ("按2022年的杂志，孵化器有多少家", "2022年", "magazine"),
    ("年鉴汇编里说全市专利总数是多少", "年鉴汇编", ""),
    ("园区引进了多少家企业", None, None),
])
def test_a_part_names_the_source_to_read(part, words, kind):
    from kb.answer.question import source_mention
    ref = source_mention(part)
    assert (ref.words, ref.kind) == (words, kind) if words else ref is None


def test_a_part_naming_a_source_is_read_from_that_source_only(tokenizer):
    import dataclasses
    from kb.answer.question import SourceRef
    from kb.answer.reader import named_source
    spring = dataclasses.replace(hit("春季刊：示范区入驻企业120家。", 1), title="《青溪科技》2022年第1期", kind="magazine")
    paper = dataclasses.replace(hit("晚报：示范区入驻企业150家。", 2), title="青溪晚报：示范区一周年", kind="news")
    assert named_source(SourceRef("青溪晚报", "news"), [spring, paper]) == {1}
    assert named_source(SourceRef("2022年", "magazine"), [spring, paper]) == {0}
    assert named_source(SourceRef("某某日报", "news"), [spring, paper]) is None      # not among them: read all
    a = extractive_answer("青溪晚报那篇说示范区入驻企业多少家？", [spring, paper], tokenizer, lambda t: 3.0)
    assert a.answered and "150家" in a.text and "120家" not in a.text


def test_what_a_part_asks_for_is_an_indicator_only_the_refusal_model_weighs(tokenizer):
    a = ask(tokenizer, "青溪园的孵化器有多少家？青溪园的负责人是谁？",
            "青溪园现有孵化器12家。", "青溪园负责人王青介绍了园区情况。")
    for part, kind in zip(a.explain, ("count", "person")):
        asks = {k: v for k, v in part.top[0].features if k.startswith("asks_")}
        assert asks[f"asks_{kind}"] == 1.0 and sum(asks.values()) == 1.0
    candidate = from_json(json.loads(MODEL_FILE.read_text(encoding="utf-8"))).candidate
    assert all(w == 0.0 for n, w in zip(candidate.names, candidate.coef) if n.startswith("asks_"))
