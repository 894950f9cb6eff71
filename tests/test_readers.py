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
