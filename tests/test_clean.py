import pytest

from ingest.clean import is_furniture, text_paragraphs as paragraphs

pytestmark = pytest.mark.unit


def test_hard_wrapped_lines_join_without_spaces():
    lines = ["党的十九届五中全会强调要突出创新核心地位，把科", "", "技自立自强作为国家发展的战略支撑。习近平总书记强调"] * 10
    raw = "\n".join(lines)
    paras = paragraphs(raw)
    assert any("把科技自立自强作为" in p.text for p in paras)
    assert all(" 技" not in p.text for p in paras)


def test_page_furniture_dropped_headings_kept():
    raw = "# 促进创新发展政策2.0版\n\n— 12 —\n\n12\n\n对首次认定的高新技术企业给予奖励。\n"
    paras = paragraphs(raw)
    assert [p.text for p in paras] == ["促进创新发展政策2.0版", "对首次认定的高新技术企业给予奖励。"]
    assert paras[0].level == 1
    assert is_furniture("— 3 —") and is_furniture("7") and not is_furniture("2020年第11期")


def test_short_title_lines_stay_separate():
    raw = "全市科技创新能力取得进一步提升\n\n11月11日，2020年常州市科技创新发展情况新闻发布会召开。"
    assert len(paragraphs(raw)) == 2


def test_markdown_bold_removed():
    assert paragraphs("希望三市**携手推进基础设施互联互通**，加快建设。")[0].text == "希望三市携手推进基础设施互联互通，加快建设。"


def test_wrapped_line_starting_with_a_decimal_is_not_a_numbered_heading():
    lines = ["2.  “大项目”支撑引领作用进一步提升。2020年列入", "", "市委、市政府重大项目库的25个超5000万元科技成果转化", "",
             "与产业化项目，年内完成投入4.46亿元，实现销售收入", "", "18.33亿元，申请专利147件，其中发明专利23件。", "",
             "3.  “大杠杆”资金使用绩效进一步提升。近五年来，", "", "市区财政科技投入超百亿元，通过市场机制带动社会投入"] * 4
    paras = paragraphs("\n".join(lines))
    assert any("实现销售收入18.33亿元，申请专利147件" in p.text for p in paras)
    assert not any(p.text.startswith("18.33") for p in paras)
    assert any(p.text.startswith("3.  “大杠杆”") for p in paras)     # a real numbered item still starts one
