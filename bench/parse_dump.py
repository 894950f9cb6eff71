"""Dump what ingestion makes of a fixed set of files (parse + chunks), to check that a refactor changes nothing.

Inputs: every file in corpus/, each corpus text rendered as a magazine PDF (bench/magazine_pdf.py), every
reading-order fixture of bench/pdf_order.py (reportlab, random layouts, Chromium print, LibreOffice when present,
with the HTML and .docx they were made from), and small Word / HTML / Markdown / GBK files made here. Inputs are
generated once into --work and reused, so later runs parse byte-identical files.

    python -m bench.parse_dump --out /tmp/parse_dump/before.json
    python -m bench.parse_dump --out /tmp/parse_dump/after.json --compare /tmp/parse_dump/before.json

Prints a table (file, chunks, sha of its dump, same as before?) and exits 1 when anything differs.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
RANDOM_SEEDS = range(6)


def _small_files(work: Path) -> None:
    import docx
    document = docx.Document()
    document.add_heading("常州市高新技术企业培育办法", level=1)
    document.add_heading("第一章 总则", level=2)
    document.add_paragraph("第一条 为加快建设创新型城市，支持高新技术企业发展，制定本办法。")
    document.add_paragraph("第二条 对首次认定为高新技术企业的，给予20万元奖励；对再次认定的，给予10万元奖励。")
    document.add_heading("第二章 支持措施", level=2)
    document.add_paragraph("第三条 对新获得国家级科技企业孵化器认定的，给予最高50万元奖励。" + "孵化器应当建立完善的服务体系，" * 12)
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "类别", "金额"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "首次认定", "20万元"
    document.save(work / "policy.docx")
    (work / "policy.html").write_text(
        "<html><head><title>x</title><style>p{}</style></head><body><nav>首页</nav><h1>常州市科技创新券管理办法</h1>"
        "<h2>第一章 总则</h2><p>第一条 为降低中小企业创新成本，制定本办法。</p><p>第二条 创新券额度最高<b>10万元</b>。</p>"
        "<table><tr><td>类别</td><td>额度</td></tr><tr><td>研发</td><td>10万元</td></tr></table>"
        "<ul><li>一、适用对象</li><li>二、申领流程</li></ul><footer>版权所有</footer></body></html>", encoding="utf-8")
    (work / "notes.md").write_text(
        "# 科技动态\n\n## 一、产业创新\n\n- 常州新增3家国家级科技企业孵化器。\n- 溧阳入选创新型县（市）建设名单。\n\n"
        "**重点**：科教城集聚各类研发机构，孵化科技企业超过三千家，\n形成了完整的创新生态。\n\n"
        "## 二、人才引进\n\n1. 龙城英才计划\n2. 博士后工作站\n\n— 3 —\n\n第4页\n", encoding="utf-8")
    (work / "gbk-policy.txt").write_bytes(
        "常州市研发费用补助办法\n\n第一条 对企业研发费用给予补助。\n\n第二条 补助比例为30%。\n".encode("gb18030"))


def generate(work: Path) -> list[Path]:
    """The inputs, made once (a file already there is kept)."""
    from bench import magazine_pdf, pdf_order
    work.mkdir(parents=True, exist_ok=True)
    corpus_pdfs = work / "corpus-pdf"
    corpus_pdfs.mkdir(exist_ok=True)
    for n, source in enumerate(sorted(CORPUS.glob("*.txt"))):
        out = corpus_pdfs / f"{source.stem}.pdf"
        if not out.exists():
            magazine_pdf.render_corpus_file(source, out, first_folio=1 + 10 * n, font="cid")
    fixtures = work / "fixtures"
    names = list(pdf_order.BUILDERS) + [f"random-{s}" for s in RANDOM_SEEDS]
    for name in names:
        done = fixtures / name / ".done"
        if done.exists():
            continue
        try:
            pdf_order.build(name, fixtures / name)
            done.write_text("ok")
        except pdf_order.Skip as why:
            print(f"skipped {name}: {why}", file=sys.stderr)
            shutil.rmtree(fixtures / name, ignore_errors=True)
    small = work / "small"
    if not small.exists():
        small.mkdir()
        _small_files(small)
    inputs = sorted(CORPUS.glob("*.txt"))
    for folder in (corpus_pdfs, small):
        inputs += sorted(folder.iterdir())
    for folder in sorted(fixtures.iterdir()):
        inputs += sorted(p for p in folder.iterdir() if p.suffix in (".pdf", ".html", ".docx"))
    return inputs


def dump(path: Path) -> dict:
    """Everything parse_file and chunk_document make of one file, as plain JSON."""
    from ingest import IngestError, chunk_document, parse_file
    try:
        doc = parse_file(path)
    except IngestError as err:
        return {"error": str(err)}
    return {"meta": dataclasses.asdict(doc.meta), "text": doc.text,
            "articles": [dataclasses.asdict(a) for a in doc.articles], "page_starts": doc.page_starts,
            "headings": doc.headings, "warnings": doc.warnings,
            "chunks": [dataclasses.asdict(c) | {"context": c.context_text()} for c in chunk_document(doc)]}


def _first_difference(a: dict, b: dict) -> str:
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            x, y = a.get(key), b.get(key)
            if isinstance(x, list) and isinstance(y, list):
                for i, (u, v) in enumerate(zip(x, y)):
                    if u != v:
                        return f"{key}[{i}]: {str(u)[:120]!r} ≠ {str(v)[:120]!r}"
                return f"{key}: {len(x)} ≠ {len(y)} items"
            return f"{key}: {str(x)[:120]!r} ≠ {str(y)[:120]!r}"
    return ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/parse_dump/inputs", help="where the generated inputs are kept")
    ap.add_argument("--out", required=True, help="JSON file the dumps are written to")
    ap.add_argument("--compare", help="an earlier --out to compare with")
    args = ap.parse_args(argv)
    work = Path(args.work)
    dumps = {}
    for path in generate(work):
        key = str(path.relative_to(ROOT if path.is_relative_to(ROOT) else work))
        dumps[key] = json.loads(json.dumps(dump(path), ensure_ascii=False))    # tuples as lists, as when read back
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(dumps, ensure_ascii=False, indent=1), encoding="utf-8")
    before = json.loads(Path(args.compare).read_text(encoding="utf-8")) if args.compare else {}
    differ = 0
    print(f"{'file':58} {'chunks':>6} {'sha256':>12}  {'same' if before else ''}")
    for key, d in dumps.items():
        sha = hashlib.sha256(json.dumps(d, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]
        verdict = ""
        if before:
            same = before.get(key) == d
            differ += not same
            verdict = "yes" if same else "NO  " + (_first_difference(before[key], d) if key in before else "new")
        chunks = len(d.get("chunks", [])) if "error" not in d else "error"
        print(f"{key:58} {chunks:>6} {sha:>12}  {verdict}")
    missing = sorted(set(before) - set(dumps))
    for key in missing:
        print(f"{key:58} {'':>6} {'':>12}  NO  missing now")
    print(f"{len(dumps)} files" + (f", {differ + len(missing)} differ" if before else ""))
    return 1 if before and (differ or missing) else 0


if __name__ == "__main__":
    sys.exit(main())
