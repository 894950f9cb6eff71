"""PDF reading (pdfplumber). Full layout handling is tracked in its own issue."""
from __future__ import annotations

import io

from .errors import IngestError
from .readers import RawText


def read_pdf(data: bytes, name: str) -> RawText:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = list(pdf.pages)
    except PDFPasswordIncorrect:
        raise IngestError(f"{name}：PDF 已加密，无法读取，请提供未加密的版本") from None
    except Exception:
        raise IngestError(f"{name}：PDF 文件已损坏或不完整，无法读取") from None
    parts, page_starts, warnings, offset = [], [], [], 0
    with pdf:
        for index, page in enumerate(pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception:
                raise IngestError(f"{name}：PDF 第{index}页已损坏，无法读取") from None
            if not text.strip():
                warnings.append(f"第{index}页为图片或空白，未识别文字")
                continue
            page_starts.append((offset, index))
            parts.append(text + "\n\n")
            offset += len(parts[-1])
    if not parts:
        raise IngestError(f"{name}：PDF 没有文字层（可能是扫描件），需要先做文字识别（OCR）")
    return RawText(text="".join(parts), fmt="pdf", page_starts=page_starts, warnings=warnings)
