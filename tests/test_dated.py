"""Answers that know when, on two issues of a fictional magazine that report one measure with a changed figure."""
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kb.claims import passage_claims
from kb.dated import date_label, fact_date, is_target
from kb.library import KnowledgeBase
from kb.retrieve import Hit
from kb.settings import load_settings
from kb.when import time_scope
from ui.render import answer_markdown, sources_html

from hash_embedding import HashEmbedding

OLD_ISSUE = """# 青溪科技 2021年第6期
## 创新载体建设成效明显
截至目前，常州市共有科技企业孵化器42家，其中国家级孵化器9家。常州高新区建有科技企业孵化器20家。
今年上半年，全市新增产学研合作项目120项，合同金额8000万元。
## 青溪湖畔举办读书会
青溪湖畔书屋本月举办读书会三场，参加市民逾百人。
"""
NEW_ISSUE = """# 青溪科技 2023年第2期
## 孵化载体再上台阶
2022年，常州市科技企业孵化器达到57家，其中国家级孵化器12家，孵化面积超过90万平方米。
到2025年，全市科技企业孵化器力争达到80家。
## 青溪湖畔举办摄影展
青溪湖畔书屋本月举办摄影展一场，展出作品两百余幅。
"""
METADATA = """["qingxi-2021-06.txt"]
title = "《青溪科技》2021年第6期"
publication = "《青溪科技》"
issue = "2021年第6期"
date = "2021-06"
kind = "magazine"

["qingxi-2023-02.txt"]
title = "《青溪科技》2023年第2期"
publication = "《青溪科技》"
issue = "2023年第2期"
date = "2023-02"
kind = "magazine"
"""
QUESTION = "常州的科技企业孵化器有多少家？"


def _hit(text: str, date: str, doc: str = "d", article: str = "") -> Hit:
    return Hit(1, f"{doc}-1", text, 1.0, doc, doc, doc, date, article)


@pytest.fixture(scope="module")
def magazine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qingxi")
    (folder / "qingxi-2021-06.txt").write_text(OLD_ISSUE, encoding="utf-8")
    (folder / "qingxi-2023-02.txt").write_text(NEW_ISSUE, encoding="utf-8")
    (folder / "metadata.toml").write_text(METADATA, encoding="utf-8")
    kb = KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(folder / "data")}), embedder=HashEmbedding())
    assert [e.status for e in kb.ingest([folder])] == ["ok", "ok"]
    return kb


# -- time in the question ----------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("question, mode, start, end", [
    ("常州的孵化器有多少家？", "none", "", ""),
    ("常州最新的GDP是多少？", "latest", "", ""),
    ("目前全市有多少家孵化器？", "latest", "", ""),
    ("2020年上半年全市产学研合作项目有多少项？", "period", "2020-01", "2020-06"),
    ("十三五期间常州新增多少高企？", "period", "2016", "2020"),
    ("“十四五”以来研发投入多少？", "period", "2021", "2025"),
    ("2019年到2021年GDP增长了多少？", "period", "2019", "2021"),
    ("按2023年的杂志，孵化器有多少家？", "source", "2023", "2023"),
])
def test_time_scope(question, mode, start, end):
    scope = time_scope(question)
    assert (scope.mode, scope.start, scope.end) == (mode, start, end)


@pytest.mark.unit
def test_source_scope_names_the_kind_and_holds_dates_at_their_precision():
    scope = time_scope("按2023年的杂志，孵化器有多少家？")
    assert scope.kind == "magazine"
    half = time_scope("2020年上半年产学研合作项目有多少项？")
    assert half.holds("2020-06") and half.holds("2020") and not half.holds("2020-11") and not half.holds("2021")


# -- a fact's date -----------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("text, figure, issue, expected", [
    ("2022年，常州实现地区生产总值9550亿元，位列前十。", "9550", "2023-03", ("2022", True)),
    ("截至2019年年底，全市高企达到2000家。", "2000", "2020-11", ("2019-12", True)),
    ("今年上半年，全市产学研合作项目达642项。", "642", "2020-11", ("2020-06", True)),
    ("去年全市新增孵化器5家。", "5家", "2021-06", ("2020", True)),
    ("据《青溪科技》2020年第11期报道，孵化器37家。", "37", "2020-11", ("2020-11", False)),
    ("全市孵化器37家。", "37", "2021-06", ("2021-06", False)),
])
def test_fact_date(text, figure, issue, expected):
    assert fact_date(text, text.index(figure), issue) == expected


@pytest.mark.unit
def test_plans_are_targets_and_programme_names_are_not():
    plan = "到2025年，全市科技企业孵化器力争达到80家。"
    assert is_target(plan, plan.index("80"))
    named = "通过实施“龙城英才”计划，人才数连续7年全省第一。"
    assert not is_target(named, named.index("7年"))
    assert date_label("2023-03") == "2023年3月" and date_label("2022") == "2022年" and date_label("") == "日期不详"


@pytest.mark.unit
def test_claims_parts_subjects_and_normalised_values():
    text = "全市拥有孵化器128家（国家级25家、省级37家），常州高新区建有孵化器37家，研发投入20万元。"
    claims = {c.surface: c for c in passage_claims(_hit(text, "2021-01"))}
    assert claims["128家"].measure == "孵化器" and not claims["128家"].part
    assert claims["25家"].part == "国家级" and claims["25家"].measure == "孵化器·国家级"
    assert claims["37家"].subject == "高新区" and claims["128家"].subject == "常州"
    assert claims["20万元"].value == "200000" and claims["20万元"].unit == "元"
    streak = passage_claims(_hit("高技能人才数连续九年全省第一。", "2023-03"))
    assert [(c.value, c.unit) for c in streak] == [("9", "年")]


# -- answers -------------------------------------------------------------------------
def _positions(text: str, *values: str) -> list[int]:
    return [text.index(v) for v in values]


@pytest.mark.integration
def test_no_time_gives_both_figures_newest_first_with_sources(magazine):
    answer = magazine.ask(QUESTION)
    assert answer.answered and answer.disagreement is not None
    assert "两处数据不一致" in answer.text
    new, old = _positions(answer.text, "57家", "42家")
    assert new < old
    by_value = {f.value: f for f in answer.disagreement.figures}
    assert set(by_value) == {"57家", "42家"}
    assert by_value["57家"].fact_date == "2022" and by_value["42家"].fact_date == "2021-06"
    docs = {c.n: c.hit.title for c in answer.citations}
    assert docs[by_value["57家"].n] == "《青溪科技》2023年第2期"
    assert docs[by_value["42家"].n] == "《青溪科技》2021年第6期"
    assert "80家" not in answer.text          # the 2025 target is not a reported figure


@pytest.mark.integration
def test_latest_gives_the_newest_figure_and_its_date(magazine):
    answer = magazine.ask("目前常州有多少家科技企业孵化器？")
    assert "57家" in answer.text and "42家" not in answer.text
    assert "《青溪科技》2023年第2期" in answer.text
    assert any("42家" in n for n in answer.notes)          # the older figure is named, outside the answer


@pytest.mark.integration
@pytest.mark.parametrize("question", ["2021年常州有多少家科技企业孵化器？", "按2021年的杂志，常州的科技企业孵化器有多少家？"])
def test_a_named_time_or_source_gives_that_figure_only(magazine, question):
    answer = magazine.ask(question)
    assert "42家" in answer.text and "57家" not in answer.text
    assert all(c.hit.date == "2021-06" for c in answer.citations)


@pytest.mark.integration
def test_another_subject_is_another_measure(magazine):
    city = magazine.ask(QUESTION)
    assert "20家" not in city.text
    district = magazine.ask("常州高新区有多少家科技企业孵化器？")
    assert "20家" in district.text and district.disagreement is None
    assert "57家" not in district.text and "42家" not in district.text


@pytest.mark.integration
def test_a_part_is_compared_only_when_asked(magazine):
    answer = magazine.ask("常州的国家级孵化器有几家？")
    assert "12家" in answer.text and "9家" in answer.text
    assert "57家" not in answer.text and "42家" not in answer.text


@pytest.mark.integration
def test_a_comparison_brings_in_the_other_articles(magazine):
    narrow = KnowledgeBase(magazine.settings.replace(top_k=1, part_top_k=0), embedder=magazine.embedder)
    question = "常州的科技企业孵化器有多少家？两期杂志说法一样吗？"
    hits = narrow.evidence(question)
    assert [h.rank for h in hits] == [1, 2]
    assert {h.doc_id for h in hits} == {"qingxi-2021-06.txt", "qingxi-2023-02.txt"}
    assert len(narrow.evidence("常州的科技企业孵化器有多少家？")) == 1
    off = KnowledgeBase(narrow.settings.replace(compare_sources=0), embedder=magazine.embedder)
    assert len(off.evidence(question)) == 1


@pytest.mark.integration
def test_json_and_page_carry_dates_and_the_disagreement(magazine):
    answer = magazine.ask(QUESTION)
    data = json.loads(json.dumps(answer.to_json(), ensure_ascii=False))
    assert {c["fact_date"] for c in data["citations"]} == {"2022", "2021-06"}
    assert [f["value"] for f in data["disagreement"]["figures"]] == ["57家", "42家"]
    assert "⚠ 数据不一致" in answer_markdown(answer, 1)
    assert "数据时间 2022年" in sources_html(answer, 1)
    plain = magazine.ask("青溪湖畔书屋本月举办了什么活动？")
    assert plain.disagreement is None and "数据不一致" not in answer_markdown(plain, 1)
    assert all(c.fact_date for c in plain.citations)


@pytest.mark.integration
def test_turned_off_answers_as_before(magazine):
    off = KnowledgeBase(magazine.settings.replace(dated=False), embedder=magazine.embedder)
    answer = off.ask(QUESTION)
    assert answer.disagreement is None and "数据不一致" not in answer.text


# -- the LLM answer is checked after generation ----------------------------------------
class OneSidedLLM(BaseHTTPRequestHandler):
    """Answers with the figure of the passage that holds 57家, citing only that passage."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        user = request["messages"][-1]["content"]
        n = next(m.group(1) for m in re.finditer(r"\[(\d+)\] ([^\[]*)", user) if "57家" in m.group(2))
        reply = self.server.reply.format(n=n)
        body = {"id": "c1", "object": "chat.completion", "created": 0, "model": request["model"],
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def llm_kb(magazine):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), OneSidedLLM)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    settings = magazine.settings.replace(llm_url=f"http://127.0.0.1:{httpd.server_address[1]}",
                                         llm_model="fake", llm_timeout=60.0)
    yield KnowledgeBase(settings, embedder=magazine.embedder), httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.integration
def test_llm_answer_citing_one_of_two_figures_is_flagged(llm_kb):
    kb, server = llm_kb
    server.reply = "2022年，常州市科技企业孵化器达到57家[{n}]。"
    answer = kb.ask(QUESTION)
    assert answer.answerer == "llm" and "57家" in answer.text
    assert answer.disagreement is not None and answer.disagreement.missing == ("42家",)
    assert any("不一致" in n and "42家" in n for n in answer.notes)
    assert "⚠ 数据不一致" in answer_markdown(answer, 1)


@pytest.mark.integration
def test_llm_answer_giving_both_figures_is_not_flagged(llm_kb):
    kb, server = llm_kb
    server.reply = "2022年孵化器达到57家[{n}]，此前为42家。"
    answer = kb.ask(QUESTION)
    assert answer.disagreement is not None and answer.disagreement.missing == ()
    assert not any("未全部给出" in n for n in answer.notes)
