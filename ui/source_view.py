"""原文查看: from a citation card, the whole article with the quote marked, the original PDF page with the quoted
lines boxed, and the original file to download. The library does the work (kb.sources); this turns it into
components. A card's 查看全文 link carries “turn:label” (1:2 = the second citation of the first answer; 1:r2 =
the second related passage of a refusal); the page script keeps it and clicks a hidden button, which sends it."""
from __future__ import annotations

import html
import io
from dataclasses import dataclass

import gradio as gr

from kb import sources
from kb.model import Answer, Hit, place
from kb.errors import KBError

from . import render

EMPTY = '<div class="src-empty">点击来源卡片中的“查看全文”，在这里阅读整篇文章（引用的句子已标出）。</div>'
# Clicks on a card's link (the cards are re-rendered on every answer, so the listener sits on the document).
OPEN_JS = """
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.src-open");
  if (!link) return;
  event.preventDefault();
  const button = document.querySelector("#kb-open-button");
  if (!button) return;
  window.kbOpenKey = link.dataset.open;
  setTimeout(() => button.click(), 0);
});
"""
# The button sends the key the link left in the page. Setting a hidden box's value instead raced Gradio's copy of
# it, which follows the input event asynchronously (once in CI a click opened no article). The box is the input
# of the /source API.
KEY_JS = "(key, conv) => [window.kbOpenKey || key, conv]"
SCROLL_JS = """() => { setTimeout(() => {
  const mark = document.querySelector("#kb-source-view mark");
  if (mark) mark.scrollIntoView({block: "center"});
}, 50); }"""


@dataclass(frozen=True)
class Cited:
    """What a card points at: the passage, and what of it the answer quoted."""
    hit: Hit
    quote: str
    spans: tuple[tuple[int, int], ...]


def find_cited(pairs: list[tuple[str, Answer]], key: str) -> Cited:
    """“turn:n” → citation n of that turn's answer; “turn:rn” → related passage n."""
    try:
        turn, label = (key or "").split(":", 1)
        answer = pairs[int(turn) - 1][1]
        if label.startswith("r"):
            hit = answer.related[int(label[1:]) - 1]
            return Cited(hit, "", ())
        citation = next(c for c in answer.citations if c.n == int(label))
        return Cited(citation.hit, citation.quote, citation.spans)
    except (ValueError, IndexError, StopIteration):
        raise KBError("找不到这条引用（对话可能已清空），请重新提问后再查看原文") from None


def article_html(view: sources.ArticleView) -> str:
    head = html.escape(place((view.document, view.article, view.section), view.page))
    note = "" if view.marks else '<div class="src-note">未能在全文中定位引用的句子。</div>'
    return (f'<div class="src-view"><div class="src-view-head">{head}</div>{note}'
            f'<div class="src-view-text">{render.highlight(view.text, view.marks)}</div></div>')


def open_source(kb, pairs, key: str):
    """(article html, page image update, download update, error line)."""
    cited = find_cited(pairs, key)
    view = sources.article(kb.catalog, cited.hit.chunk_id, cited.spans, cited.quote)
    image, download, problems = gr.update(value=None, visible=False), gr.update(value=None, visible=False), []
    try:
        download = gr.update(value=str(sources.original_file(kb.catalog, view.doc_id)), visible=True,
                             label=f"下载原文件（{view.source}）")
    except KBError as err:
        problems.append(str(err))
    if view.is_pdf and not problems:
        try:
            from PIL import Image
            page = sources.cited_page(kb.catalog, cited.hit.chunk_id, cited.quote or cited.hit.text)
            label = f"原文第 {page.page_number} 页" + ("（红框为引用的句子）" if page.found else "（未能定位引用的句子）")
            image = gr.update(value=Image.open(io.BytesIO(page.png)), visible=True, label=label)
        except KBError as err:
            problems.append(str(err))
    return article_html(view), image, download, render.error_html("；".join(problems))


def build_source_view(kb, conversation: gr.State) -> None:
    key = gr.Textbox(elem_id="kb-open-key", elem_classes="kb-hidden", show_label=False, container=False)
    button = gr.Button("查看原文", elem_id="kb-open-button", elem_classes="kb-hidden")
    with gr.Accordion("原文", open=False) as panel:
        article = gr.HTML(EMPTY, elem_id="kb-source-view")
        message = gr.HTML(render.error_html(""))
        page = gr.Image(label="原文页面", type="pil", format="png", interactive=False, visible=False,
                        buttons=["fullscreen"])
        download = gr.DownloadButton("下载原文件", visible=False, size="sm")

    def on_open(value, conv):
        try:
            view, image, file, line = open_source(kb, conv.snapshot()[0], value)
        except KBError as err:
            return gr.skip(), gr.skip(), gr.skip(), render.error_html(str(err)), gr.update(open=True)
        return view, image, file, line, gr.update(open=True)

    button.click(on_open, [key, conversation], [article, page, download, message, panel], api_name="source",
                 show_progress="minimal", js=KEY_JS).then(None, None, None, js=SCROLL_JS)
