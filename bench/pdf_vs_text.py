"""The same magazine issue as PDF and as text: does the PDF path lose text, order, pages or retrieval quality?

    python -m bench.pdf_vs_text [--text-kb /tmp/kbp300] [--work /tmp/pdf_vs_text] [--font auto] [--skip-kb]

1. Renders corpus/changzhou-keji-2023-03.txt as an A4 two-column magazine PDF (bench/magazine_pdf.py, all pages).
2. Parse check: share of the source's sentences that come out whole, and whole and in order, through
   ingest.parse_file; no running-header or footer text inside any chunk; every chunk has a page.
3. Retrieval: a fresh data dir with the PDF plus the other four corpus text files (the text version of the issue
   left out), evaluated with bench/eval_dev.py's code on the dev questions whose evidence is in that issue,
   against the all-text knowledge base at --text-kb (copied first, so it is only read). The text KB's embedding
   cache is copied into the fresh dir, so only chunks whose text differs are embedded again.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.eval_dev import DEFAULT_QA, evaluate, table            # noqa: E402
from bench.magazine_pdf import HEADER, SECTION_NAME, render_corpus_file  # noqa: E402
from ingest import chunk_document, parse_file                    # noqa: E402
from ingest.pdf import read_pdf                                  # noqa: E402

CORPUS = ROOT / "corpus"
ISSUE = "changzhou-keji-2023-03.txt"


def sentences(text: str) -> list[str]:
    """Cut after each 。！？ (a paragraph's unpunctuated tail is a sentence too), whitespace removed."""
    return [re.sub(r"\s+", "", s) for s in re.findall(r"[^。！？]+[。！？]*", text) if s.strip()]


def _longest_increasing(xs: list[int]) -> tuple[int, list[bool]]:
    """Length of the longest strictly increasing subsequence of xs, and which items belong to it."""
    import bisect
    tails, tail_idx, prev = [], [], [-1] * len(xs)
    for i, x in enumerate(xs):
        k = bisect.bisect_left(tails, x)
        if k == len(tails):
            tails.append(x)
            tail_idx.append(i)
        else:
            tails[k], tail_idx[k] = x, i
        prev[i] = tail_idx[k - 1] if k else -1
    keep, i = [False] * len(xs), tail_idx[-1] if tail_idx else -1
    while i >= 0:
        keep[i], i = True, prev[i]
    return len(tails), keep


def parse_check(pdf: Path, pieces, pages: int) -> dict:
    t0 = time.perf_counter()
    doc = parse_file(pdf)
    parse_s = time.perf_counter() - t0
    data, best = pdf.read_bytes(), float("inf")
    for _ in range(3):                              # the PDF reader alone, best of three
        t1 = time.perf_counter()
        read_pdf(data, pdf.name)
        best = min(best, time.perf_counter() - t1)
    chunks = chunk_document(doc)
    source = [s for p in pieces if p.kind == "para" for s in sentences(p.text)]
    flat = re.sub(r"\s+", "", doc.text)
    whole = [s for s in source if s in flat]
    # In order: the longest run of whole sentences whose positions in the parsed text increase (LIS);
    # the rest are reported as out of order. Each sentence is looked for after the previous one first.
    positions, pos = [], 0
    for s in whole:
        at = flat.find(s, pos)
        at = at if at >= 0 else flat.find(s)
        positions.append(at)
        pos = at + len(s)
    ordered, in_run = _longest_increasing(positions)
    out_of_order = [s for s, keep in zip(whole, in_run) if not keep]
    header = re.sub(r"\s+", "", HEADER)
    furniture = re.compile(rf"{re.escape(header)}|—\s*\d+\s*—|{SECTION_NAME}")
    source_text = "".join(p.text for p in pieces)
    bad = [c for c in chunks if furniture.search(re.sub(r"\s+", "", c.text))
           and not furniture.search(re.sub(r"\s+", "", source_text))]
    titles = [p.text for p in pieces if p.kind == "heading" and p.level == 1]
    found_titles = {a.title for a in doc.articles}
    return {
        "pages": pages, "pdf_pages_with_text": len(doc.page_starts), "parse_seconds": parse_s,
        "read_pdf_pages_per_s": pages / best,
        "sentences": len(source), "whole": len(whole), "in_order": ordered,
        "missing": [s for s in source if s not in flat], "out_of_order": out_of_order,
        "chunks": len(chunks), "chunks_without_page": sum(c.page is None for c in chunks),
        "chunks_with_furniture": len(bad), "furniture_examples": [c.text[:80] for c in bad[:3]],
        "articles": len(doc.articles), "headlines": len(titles),
        "headlines_found": sum(t in found_titles for t in titles), "warnings": doc.warnings,
    }


def print_parse(r: dict) -> None:
    n = r["sentences"]
    print("| 检查 | 结果 |\n|---|---|")
    print(f"| PDF 页数（有文字） | {r['pages']}（{r['pdf_pages_with_text']}） |")
    print(f"| parse_file 耗时 | {r['parse_seconds']:.1f} 秒 |")
    print(f"| read_pdf 速度（三次取最快） | {r['read_pdf_pages_per_s']:.1f} 页/秒 |")
    print(f"| 原文句子 | {n} |")
    print(f"| 完整出现 | {r['whole']}（{r['whole'] / n:.1%}） |")
    print(f"| 完整且顺序正确（最长递增链） | {r['in_order']}（{r['in_order'] / n:.1%}） |")
    print(f"| 文章标题识别为文章 | {r['headlines_found']}/{r['headlines']} |")
    print(f"| 片段数 / 无页码片段 / 含页眉页脚的片段 | {r['chunks']} / {r['chunks_without_page']} / "
          f"{r['chunks_with_furniture']} |")
    for s in r["missing"][:8]:
        print(f"  缺失或不完整：{s[:70]}")
    for s in r["out_of_order"][:5]:
        print(f"  顺序错：{s[:70]}")


def _kb(data_dir: Path):
    from kb.library import KnowledgeBase
    from kb.settings import load_settings
    return KnowledgeBase(load_settings().replace(data_dir=data_dir))


def _summary(results: list[dict]) -> dict:
    ans = [r for r in results if "recall" in r]
    return {"n": len(results), "answerable": len(ans),
            "recall": sum(r["recall"] for r in ans) / len(ans), "mrr": sum(r["rr"] for r in ans) / len(ans),
            "accuracy": sum(r["correct"] for r in results) / len(results)}


def compare(pdf: Path, text_kb: Path, work: Path, qa: Path, k: int) -> dict:
    items = [json.loads(line) for line in open(qa, encoding="utf-8") if line.strip()]
    items = [q for q in items if q.get("source") == ISSUE or ISSUE in (q.get("sources") or [])]

    base_dir = work / "text-kb"                     # a copy: the given KB is only read
    shutil.rmtree(base_dir, ignore_errors=True)
    shutil.copytree(text_kb, base_dir, ignore=shutil.ignore_patterns("write.lock"))
    base = _kb(base_dir)
    text_results = evaluate(base, items, k)
    base.close()

    pdf_dir = work / "pdf-kb"
    shutil.rmtree(pdf_dir, ignore_errors=True)
    pdf_dir.mkdir(parents=True)
    for name in ("embed_cache.sqlite", "cache"):
        src = text_kb / name
        if src.is_dir():
            shutil.copytree(src, pdf_dir / name)
        elif src.is_file():
            shutil.copy2(src, pdf_dir / name)
    kb = _kb(pdf_dir)
    files = [p for p in sorted(CORPUS.glob("*.txt")) if p.name != ISSUE and not p.name.lower().startswith("readme")]
    t0 = time.perf_counter()
    for event in kb.ingest(files + [pdf]):
        print("  " + event.message, file=sys.stderr)
    ingest_s = time.perf_counter() - t0
    pdf_results = evaluate(kb, items, k)
    kb.close()

    print(f"\n全文本知识库（{text_kb} 的副本），{ISSUE} 相关的 {len(items)} 个开发集问题：")
    print(table(text_results, k))
    print(f"\nPDF 替换该期文本后（{pdf_dir}，入库 {ingest_s:.0f} 秒）：")
    print(table(pdf_results, k))
    t, p = _summary(text_results), _summary(pdf_results)
    print(f"\n| 版本 | 问题 | 有证据 | recall@{k} | MRR | 答案正确率 |\n|---|---|---|---|---|---|")
    for label, s in (("全文本", t), ("PDF", p)):
        print(f"| {label} | {s['n']} | {s['answerable']} | {s['recall']:.3f} | {s['mrr']:.3f} | {s['accuracy']:.3f} |")
    d_rec, d_mrr = p["recall"] - t["recall"], p["mrr"] - t["mrr"]
    ok = d_rec >= -0.03 and d_mrr >= -0.03
    print(f"| 差值 | | | {d_rec:+.3f} | {d_mrr:+.3f} | {p['accuracy'] - t['accuracy']:+.3f} |")
    print(f"\n门槛（PDF 的 recall@{k} 与 MRR 不低于文本 0.03 以上）：{'达到' if ok else '未达到'}")
    by_id = {r["id"]: r for r in text_results}
    for r in pdf_results:
        b = by_id[r["id"]]
        if "recall" in r and (r["recall"] != b["recall"] or abs(r["rr"] - b["rr"]) > 1e-9 or r["correct"] != b["correct"]):
            print(f"  {r['id']} [{r['type']}] 文本 recall={b['recall']} rr={b['rr']:.2f} correct={b['correct']}"
                  f" → PDF recall={r['recall']} rr={r['rr']:.2f} correct={r['correct']}：{r['question']}")
            for s in r["missing"]:
                print(f"      PDF 未召回证据：{s[:60]}")
    return {"text": t, "pdf": p, "bar_met": ok, "ingest_seconds": ingest_s,
            "per_question": {"text": text_results, "pdf": pdf_results}}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text-kb", default="/tmp/kbp300", help="an all-text KB indexed with the real model (only read)")
    ap.add_argument("--work", default="/tmp/pdf_vs_text")
    ap.add_argument("--font", choices=["auto", "cid", "wqy"], default="auto")
    ap.add_argument("--qa", default=str(DEFAULT_QA))
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--skip-kb", action="store_true", help="only the parse check")
    ap.add_argument("--json", help="write all results to this file")
    args = ap.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    pdf = work / "changzhou-keji-2023-03.pdf"
    pieces, pages = render_corpus_file(CORPUS / ISSUE, pdf, first_folio=1, font=args.font)
    print(f"{datetime.now():%Y-%m-%d %H:%M} · {pdf}（{pages} 页，字体 {args.font}）\n")
    out = {"parse": parse_check(pdf, pieces, pages)}
    print_parse(out["parse"])
    if not args.skip_kb:
        out["kb"] = compare(pdf, Path(args.text_kb), work, Path(args.qa), args.k)
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
