"""Word and HTML policy texts: headings and paragraphs kept, clauses recognised and citable."""
import docx
import pytest

from ingest import chunk_document, parse_file

pytestmark = pytest.mark.unit

CLAUSES = [
    "第一条 为加快建设创新型城市，支持高新技术企业发展，制定本办法。",
    "第二条 对首次认定为高新技术企业的，给予20万元奖励；对再次认定的，给予10万元奖励。",
    "第三条 对新获得国家级科技企业孵化器认定的，给予最高50万元奖励。" + "孵化器应当建立完善的服务体系，" * 12 + "并按年度报送绩效。",
    "第四条 本办法自发布之日起施行。",
]


def _docx(path):
    document = docx.Document()
    document.add_heading("常州市高新技术企业培育办法", level=1)
    document.add_heading("第一章 总则", level=2)
    for text in CLAUSES[:2]:
        document.add_paragraph(text)
    document.add_heading("第二章 支持措施", level=2)
    for text in CLAUSES[2:]:
        document.add_paragraph(text)
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "类别", "金额"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "首次认定", "20万元"
    document.save(path)


def _check_clauses(path):
    doc = parse_file(path)
    chunks = chunk_document(doc, size=120, overlap=20)
    labels = {title for _, _, title in doc.headings}
    assert {"第一条", "第二条", "第三条", "第四条"} <= labels
    for clause in CLAUSES:
        number = clause.split(" ")[0]
        mine = [c for c in chunks if c.section.endswith(number)]
        assert mine, number
        # The first chunk of every clause starts at the clause (or at the headings just before it),
        # never inside another clause.
        first_line = mine[0].text.split("\n")[0]
        assert first_line.startswith(number) or first_line in labels
    second = next(c for c in chunks if c.section.endswith("第二条"))
    assert "20万元" in second.text and "第二章" not in second.text
    return doc, chunks


def test_docx_headings_and_clauses(tmp_path):
    path = tmp_path / "办法.docx"
    _docx(path)
    doc, chunks = _check_clauses(path)
    assert doc.articles[0].title == "常州市高新技术企业培育办法"
    assert any("第二章 支持措施" in c.section for c in chunks)
    assert "首次认定 | 20万元" in doc.text


def test_html_page_keeps_text_drops_scripts(tmp_path):
    body = "".join(f"<p>{c}</p>" for c in CLAUSES)
    html = ("<!DOCTYPE html><html><head><title>x</title><style>p{color:red}</style>"
            "<script>var tracking = 1;</script></head><body><nav>首页 | 政策</nav>"
            f"<h1>常州市高新技术企业培育办法</h1><h2>第一章 总则</h2>{body}</body></html>")
    path = tmp_path / "policy.html"
    path.write_text(html, encoding="utf-8")
    doc, _ = _check_clauses(path)
    assert "tracking" not in doc.text and "color" not in doc.text and "首页" not in doc.text


def test_format_detected_from_content_not_extension(tmp_path):
    path = tmp_path / "policy.txt"          # an HTML page saved with the wrong extension
    path.write_text("<html><body><h1>标题</h1><p>第一条 内容。</p></body></html>", encoding="utf-8")
    doc = parse_file(path)
    assert "<p>" not in doc.text and "第一条 内容。" in doc.text
