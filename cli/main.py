"""`kb` command line: a thin adapter over kb.library (the UI calls the same functions)."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys


def _kb(create: bool = False):
    """The knowledge base; only ingest creates a data dir (a mistyped KB_DATA_DIR must not answer from nothing)."""
    from kb.library import KnowledgeBase
    return KnowledgeBase(create=create)


def _filters(args):
    from kb.model import Filters
    return Filters(doc_ids=tuple(args.doc or ()), kinds=tuple(args.kind or ()),
                   date_from=args.date_from or "", date_to=args.date_to or "")


def _batch(path: str):
    """(id, question, error) per non-empty line: a malformed line is reported on its own and the batch goes on."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            qid = item.get("id", line_no) if isinstance(item, dict) else line_no
            question = item.get("question") if isinstance(item, dict) else None
            if isinstance(question, str):
                yield qid, question, None
            else:
                yield qid, None, f"第 {line_no} 行不是有效的问题（需要一行 JSON：{{\"id\", \"question\"}}）"


def _for_each_question(args, handle) -> int:
    """handle(id, question) for the one question or each batch line; in a batch a bad line or a refused question
    becomes its own JSON line with "error" and the batch goes on (exit 1 at the end)."""
    if not args.batch:
        handle(None, args.question)
        return 0
    from kb.errors import KBError
    failed = 0
    for qid, question, error in _batch(args.batch):
        if error is None:
            try:
                handle(qid, question)
                continue
            except KBError as err:
                error = str(err)
        failed += 1
        _print_json({"id": qid, "question": question, "error": error})
    return 1 if failed else 0


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def cmd_ingest(args) -> int:
    kb = _kb(create=True)
    failed = 0
    show_bar = sys.stderr.isatty() and not args.quiet

    def progress(done, total, name):
        if show_bar:
            width = 30
            filled = int(width * done / max(total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:40]:<40}")
            sys.stderr.flush()

    paths = kb.known_sources() if args.all else (args.paths or None)
    for event in kb.ingest(paths, progress=progress):
        if show_bar:
            sys.stderr.write("\r" + " " * 90 + "\r")
        failed += event.failed
        print(f"[{event.label}] {event.message}", flush=True)
    status = kb.status()
    print(f"共 {status.n_documents} 个文档、{status.n_chunks} 个片段；数据目录：{status.data_dir}")
    return 1 if failed else 0


def cmd_status(args) -> int:
    status = _kb().status()
    if args.json:
        _print_json(status.to_json())
        return 0
    print(f"数据目录：{status.data_dir}")
    print(f"向量库：{status.vector_store}")
    print(f"向量模型：{status.embedding}")
    low, high = status.date_range or ("–", "–")
    print(f"文档 {status.n_documents} 个，片段 {status.n_chunks} 个，日期 {low} 至 {high}")
    for d in status.documents:
        print(f"  {d.doc_id}  {d.title} {d.issue} {d.date} [{d.kind}] {d.n_chunks} 片段，入库于 {d.ingested_at}")
    return 0


def cmd_remove(args) -> int:
    n = _kb().remove(args.doc)
    print(f"已删除 {args.doc}（{n} 个片段）")
    return 0


def _format_hit(hit) -> str:
    from kb.model import place
    where = place((hit.title, hit.date, hit.article), hit.page)
    return f"[{hit.rank}] {where}  (得分 {hit.score:.4f})\n    {hit.text[:160].replace(chr(10), ' ')}"


def cmd_search(args) -> int:
    kb = _kb()

    def handle(qid, question):
        hits = kb.search(question, top_k=args.top_k, filters=_filters(args))
        if args.json or args.batch:
            _print_json({"id": qid, "question": question, "hits": [h.to_json() for h in hits]})
        else:
            print("\n".join(_format_hit(h) for h in hits) or "未检索到相关内容。")
    return _for_each_question(args, handle)


def _format_answer(answer, text_shown: bool = False) -> str:
    from kb.model import place
    lines = [] if text_shown else [answer.text, ""]
    lines += [f"注：{note}" for note in answer.notes]
    for c in answer.citations:
        h = c.hit
        lines.append(f"[{c.n}] {place((h.title, h.issue, h.date, h.article), h.page)}\n    “{c.quote}”")
    if not answer.answered and answer.related:
        lines.append("可能相关：")
        lines += [_format_hit(h) for h in answer.related]
    return "\n".join(lines)


def _format_explain(answer) -> str:
    if not answer.explain:
        return "（无打分说明：当前回答器不提供，设置 KB_ANSWERER=fitted 可查看）"
    lines = ["打分说明："]
    for e in answer.explain:
        state = "已回答" if e.answered else f"拒答：{e.reason}"
        lines.append(f"· {e.part}（类型 {e.kind}，可答概率 {e.answerable:.2f}，{state}）")
        for q in e.top:
            top = sorted((kv for kv in q.features if kv[1] == kv[1]), key=lambda kv: -abs(kv[1]))[:6]
            lines.append(f"    {q.score:.3f} {q.text[:60]}")
            lines.append("      " + " ".join(f"{k}={v:.2f}" for k, v in top))
    return "\n".join(lines)


class _Session:
    """`kb ask --session NAME`: the named conversation's questions are the context of the next one (a follow-up
    like “那再次认定呢？” is read against them), and each answer is added to it (kb.history, user 命令行)."""

    USER = "命令行"

    def __init__(self, kb, name: str):
        import hashlib
        from kb.errors import KBError
        from kb.history import History
        from kb.library import read_only_error
        if kb.read_only:
            raise read_only_error(kb.settings.data_dir)
        self.history = History.of(kb.settings)
        self.id = "cli-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
        try:
            self.pairs = self.history.load(self.USER, self.id)
        except KBError:
            self.pairs = []           # a new session

    def questions(self) -> list[str]:
        return [q for q, _ in self.pairs]

    def add(self, question: str, answer) -> None:
        self.pairs.append((question, answer))
        self.history.save(self.USER, self.id, self.pairs)


def cmd_ask(args) -> int:
    kb = _kb()
    session = _Session(kb, args.session) if args.session else None

    def ask(question, **kw):
        answer = kb.ask(question, filters=_filters(args), history=session.questions() if session else (), **kw)
        if session:
            session.add(question, answer)
        return answer

    def handle(qid, question):
        if args.json or args.batch:
            _print_json({"id": qid, **ask(question).to_json(explain=args.explain)})
            return
        streamed: list[str] = []        # the LLM's draft, printed as it arrives; then the checked answer

        def on_token(token: str) -> None:
            streamed.append(token)
            sys.stdout.write(token)
            sys.stdout.flush()

        answer = ask(question, on_token=on_token)
        same = bool(streamed) and "".join(streamed).strip() == answer.text
        if streamed:
            print("\n" if same else "\n\n最终回答：")
        print(_format_answer(answer, text_shown=same))
        if args.explain:
            print(_format_explain(answer))
    return _for_each_question(args, handle)


def cmd_parse(args) -> int:
    """Show what ingestion would index from one file, without indexing it."""
    import bisect
    from dataclasses import asdict
    from kb.settings import load_settings
    settings = load_settings()
    with settings.parse_worker() as worker:       # the same limits and isolation as `kb ingest`
        doc = worker.parse(args.file, limits=settings.parse_limits())
    offsets = [o for o, _ in doc.page_starts]

    def pages(a, b):
        if not doc.page_starts:
            return []
        lo, hi = (doc.page_starts[max(bisect.bisect_right(offsets, x) - 1, 0)][1] for x in (a, max(a, b - 1)))
        return [lo] if lo == hi else [lo, hi]

    articles = [{"title": a.title, "pages": pages(a.start, a.end), "text": doc.text[a.start:a.end].strip()}
                for a in doc.articles]
    if args.json:
        _print_json({"doc": asdict(doc.meta), "articles": articles, "warnings": doc.warnings})
        return 0
    m = doc.meta
    print(f"文档：{m.title}（{m.source}）")
    print(f"刊物：{m.publication or '–'}  期号：{m.issue or '–'}  日期：{m.date or '–'}  类型：{m.kind}")
    print(f"共 {len(articles)} 篇，{len(doc.text)} 字")
    for w in doc.warnings:
        print(f"警告：{w}")
    for n, art in enumerate(articles, start=1):
        where = "–".join(f"第{p}页" if i == 0 else f"{p}页" for i, p in enumerate(art["pages"]))
        print(f"\n[{n}] {art['title']}" + (f"（{where}）" if where else ""))
        print(art["text"])
    return 0


def cmd_repair(args) -> int:
    from kb.catalog import salvage
    from kb.library import KnowledgeBase, missing_data_dir_error, read_only_error
    from kb.manifest import Manifest
    from kb.settings import load_settings
    settings = load_settings()
    if not settings.data_dir.is_dir():
        raise missing_data_dir_error(settings.data_dir)
    if not os.access(settings.data_dir, os.W_OK):
        raise read_only_error(settings.data_dir)
    note = salvage(settings.catalog_path, dry_run=args.dry_run)      # before anything opens the catalog
    if note and args.dry_run:
        print(note)
        print(f"文档清单中有 {len(Manifest(settings.data_dir / 'manifest').entries())} 个文档可恢复（未做任何修改）")
        return 0
    report = KnowledgeBase(settings, create=False).repair(dry_run=args.dry_run, notes=[note] if note else [])
    if args.dry_run:
        print("检查结果（未做任何修改）：")
    print("\n".join(report.lines()))
    return 0


def cmd_backup(args) -> int:
    from pathlib import Path
    from kb.backup import backup
    n = backup(_kb(), Path(args.file))
    print(f"已备份 {n} 个文件到 {args.file}")
    return 0


def cmd_restore(args) -> int:
    from pathlib import Path
    from kb.backup import restore
    from kb.settings import load_settings
    data_dir = load_settings().data_dir
    previous = restore(Path(args.file), data_dir, force=args.force)
    status = _kb().status()
    print(f"已从 {args.file} 恢复：{status.n_documents} 个文档、{status.n_chunks} 个片段；数据目录：{data_dir}")
    if previous:
        print(f"原数据目录已保留为 {previous}")
    return 0


def cmd_serve(args) -> int:
    from ui.app import serve
    serve(host=args.host, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kb", description="常州科技知识库：索引文档，检索并带引用地回答问题")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="索引文件或文件夹（默认：内置语料 corpus/）")
    p.add_argument("paths", nargs="*", help="文件或文件夹")
    p.add_argument("--all", action="store_true", help="重新索引全部：内置语料、上传的文件和已入库的文件（未变化的自动跳过）")
    p.add_argument("-q", "--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("status", help="查看已索引的文档")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("remove", help="删除一个文档（文档编号或文件名）")
    p.add_argument("doc")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("parse", help="预览一个文件将被索引的内容（不写入索引）")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("repair", help="检查并修复索引一致性（目录损坏时从文档清单重建）")
    p.add_argument("--dry-run", action="store_true", help="只报告将要做的修复，不做任何修改")
    p.set_defaults(func=cmd_repair)

    p = sub.add_parser("backup", help="把整个数据目录备份成一个文件（.tar，或 .tar.gz 压缩）")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从备份文件恢复数据目录（请先停止网页版）")
    p.add_argument("file")
    p.add_argument("--force", action="store_true", help="数据目录不为空时也替换（原目录保留在旁边）")
    p.set_defaults(func=cmd_restore)

    for name, func, helptext in (("search", cmd_search, "检索相关片段"), ("ask", cmd_ask, "提问并得到带引用的回答")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("question", nargs="?", default="")
        p.add_argument("--batch", metavar="FILE.jsonl", help="每行一个 {\"id\", \"question\"}，逐行输出 JSON")
        p.add_argument("--json", action="store_true")
        p.add_argument("--doc", action="append", help="只在该文档中检索（可重复）")
        p.add_argument("--kind", action="append", choices=["magazine", "policy", "news"], help="文档类型")
        p.add_argument("--date-from", help="起始日期，如 2021 或 2021-06")
        p.add_argument("--date-to", help="截止日期")
        if name == "search":
            p.add_argument("--top-k", type=int, default=5)
        else:
            p.add_argument("--explain", action="store_true",
                           help="列出每个问题部分的类型、候选句及其特征和得分、拒答原因（KB_ANSWERER=fitted）")
            p.add_argument("--session", metavar="NAME",
                           help="会话名：同名会话中之前的问题作为上下文，追问（如“那再次认定呢？”）按上文理解")
        p.set_defaults(func=func)

    p = sub.add_parser("serve", help="启动网页版（Gradio）")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)
    return parser


def _quiet_jieba(record: logging.LogRecord) -> bool:
    """jieba logs a traceback when it cannot write its optional dictionary cache (a full or read-only disk); a
    filter, not a level, since importing kb.text resets jieba's log level."""
    return "cache file failed" not in record.getMessage()


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")      # here, not at import: importing changes nothing
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    args = build_parser().parse_args(argv)
    logging.getLogger("jieba").addFilter(_quiet_jieba)       # a no-op when already added
    if args.command in ("search", "ask") and not args.batch and not args.question.strip():
        print("错误：请输入问题，或用 --batch 指定问题文件", file=sys.stderr)
        return 2
    from ingest import IngestError
    from kb.errors import KBError
    from .failures import describe, safe_text, unexpected_line
    try:
        return args.func(args)
    except (KBError, IngestError) as err:
        print(f"错误：{safe_text(str(err))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:          # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except Exception as err:         # the one place a failure becomes a line (and a log entry), never a traceback
        print(f"错误：{describe(err) or unexpected_line(err, _data_dir())}", file=sys.stderr)
        return 1


def _data_dir():
    try:
        from kb.settings import load_settings
        return load_settings().data_dir
    except Exception:
        return None

if __name__ == "__main__":
    sys.exit(main())
