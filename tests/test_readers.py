import pytest

from ingest import IngestError, parse_file

pytestmark = pytest.mark.unit


def test_gbk_text_is_decoded(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("常州市科技局发布高新技术企业培育政策。首次认定奖励20万元。".encode("gbk"))
    doc = parse_file(path)
    assert "首次认定奖励20万元" in doc.text


@pytest.mark.parametrize("content, message", [
    (b"", "文件为空"),
    (b"   \n\n", "文件为空"),
    (bytes(range(256)) * 20, "不是文本文件"),
])
def test_bad_text_files_get_clear_chinese_errors(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        parse_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="文件不存在"):
        parse_file(tmp_path / "nope.txt")


def test_readers_return_typed_blocks(tmp_path):
    from ingest.readers import read_file
    html = tmp_path / "policy.html"
    html.write_text("<html><body><h2>第一章 总则</h2><p>第一条 为降低创新成本，制定本办法。</p>"
                    "<table><tr><td>类别</td><td>额度</td></tr></table></body></html>", encoding="utf-8")
    raw = read_file(html)
    assert [(b.kind, b.level, b.text) for b in raw.blocks] == [
        ("heading", 2, "第一章 总则"), ("paragraph", 0, "第一条 为降低创新成本，制定本办法。"), ("table_row", 0, "| 类别 | 额度")]
    text = tmp_path / "notes.md"
    text.write_text("# 科技动态\n\n- 常州新增3家孵化器。\n\n— 3 —\n\n溧阳入选创新型县。\n", encoding="utf-8")
    assert [(b.kind, b.text) for b in read_file(text).blocks] == [
        ("heading", "科技动态"), ("list_item", "常州新增3家孵化器。"), ("paragraph", "溧阳入选创新型县。")]


def test_a_paragraph_going_on_from_the_previous_page_is_joined_with_its_page_kept():
    from ingest.clean import paragraphs
    from ingest.models import Block
    opening = "常州市持续推进科技创新，全市高新技术企业数量连续五年保持两位数增长，研发投入强度稳步提高"
    blocks = [Block("heading", "科技创新", level=1, page=12), Block("paragraph", opening, page=12),
              Block("paragraph", "，居全省前列。", page=13, continues=True), Block("paragraph", "新的一段。", page=13)]
    paras = paragraphs(blocks)
    assert [p.text for p in paras] == ["科技创新", opening + "，居全省前列。", "新的一段。"]
    assert paras[1].page == 12 and paras[1].page_marks == [(len(opening), 13)] and paras[2].page == 13
