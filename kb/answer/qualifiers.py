"""Qualifiers that exclude one another: a question that names one member of a family (省级, 第二批, 上半年,
武进区, 净利润) is not answered by a quote that names another member and not it. One table; how much a clash counts is
fit from the tuning questions (features.qualifier_clash), not set here.
"""
from __future__ import annotations

import functools
import re

# Each family: its members, each with the spellings that name it (longest first within a family, so that 武进国家
# 高新区 is not read as 武进区). A spelling is matched as a substring after longer spellings are blanked out.
FAMILIES: tuple[tuple[tuple[str, ...], ...], ...] = (
    # administrative level
    (("国家级",), ("省级",), ("市级",), ("区级", "区（县）级"), ("县级",)),
    # part of a year
    (("上半年",), ("下半年",), ("一季度", "第一季度"), ("二季度", "第二季度"), ("三季度", "第三季度"),
     ("前三季度",), ("四季度", "第四季度"), ("全年",)),
    # year, relative to the document's
    (("今年",), ("去年", "上年"), ("前年",), ("明年",)),
    # what a sum of money measures: a company's profit is not its revenue, its registered capital not a grant
    (("净利润", "利润", "利税"), ("营业收入", "营收", "销售收入", "营业额", "销售额", "主营业务收入", "收入"),
     ("注册资本", "注册资金"), ("总投资", "投资额", "投资"), ("产值", "总产值", "地区生产总值", "生产总值"),
     ("贷款", "授信"), ("融资",), ("价格", "售价", "单价"), ("税收", "纳税"), ("成交额", "合同额", "交易额"),
     ("资助", "补贴", "补助", "奖励", "奖金", "奖补", "资金", "经费")),
    # the city and its districts (the corpus's own places)
    (("武进国家高新区", "武进高新区", "武高新"), ("常州高新区", "常高新", "新北区"), ("常州经开区", "经开区"),
     ("武进区",), ("天宁区",), ("钟楼区",), ("金坛区",), ("溧阳市",), ("常州市", "市科技局")),
)
# An ordinal of a series: 第二批 / 首届 / 第3期 → (number, what is counted)
_ORDINAL = re.compile(r"(?:第\s*([一二三四五六七八九十\d]+)|(首))\s*(批|届|期|轮|次|季)")
_NUMERAL = {c: i for i, c in enumerate("零一二三四五六七八九十", start=0)}
# A role asked for (局长, 主任 …) quoted only as its deputy (副局长) is another person.
_ROLE = re.compile(r"(?<!副)(董事长|总经理|经理|局长|院长|所长|主任|书记|校长|主席|理事长|会长|秘书长|行长|总裁|部长|区长|市长)")


@functools.lru_cache(maxsize=256)
def roles(text: str) -> tuple[str, ...]:
    """The roles a text names (局长, 院长 …), not as their deputies."""
    return tuple(sorted(set(_ROLE.findall(text))))


def holds_role(role: str, text: str) -> bool:
    return re.search(f"(?<!副){role}", text) is not None


def _members(family, text: str) -> dict[int, str]:
    """The members of the family the text names, each with the spelling found."""
    spellings = sorted(((s, i) for i, m in enumerate(family) for s in m), key=lambda si: -len(si[0]))
    found: dict[int, str] = {}
    for s, i in spellings:
        if s in text:
            found.setdefault(i, s)
            text = text.replace(s, "\x00")
    return found


def _number(token: str) -> int:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if "十" in token:
        tens, _, ones = token.partition("十")
        return _NUMERAL.get(tens, 1) * 10 + _NUMERAL.get(ones, 0)
    return _NUMERAL.get(token, -1)


def ordinals(text: str) -> set[tuple[int, str]]:
    return {(1 if first else _number(n), unit) for n, first, unit in _ORDINAL.findall(text)}


@functools.lru_cache(maxsize=64)
def _asked(text: str):
    """The qualifiers a question names: read once per question, though every candidate is compared with them."""
    return (tuple(_members(f, text) for f in FAMILIES), tuple(sorted(ordinals(text))),
            roles(text))


def conflicts(asked: str, quoted: str) -> list[tuple[str, str]]:
    """The asked text's qualifiers that the quote contradicts, each as (asked, quoted): the quote names another
    member of the family (or another ordinal of the same series, or the deputy of the role) and not the asked one."""
    members, asked_ordinals, roles = _asked(asked)
    out = []
    for family, want in zip(FAMILIES, members):
        have = _members(family, quoted) if want else {}
        if have and not want.keys() & have.keys():
            out.append(("、".join(want.values()), "、".join(have.values())))
    have_ord = ordinals(quoted) if asked_ordinals else set()
    for number, unit in asked_ordinals:
        others = sorted(k for k, u in have_ord if u == unit)
        if others and number not in others:
            out.append((f"第{number}{unit}", "、".join(f"第{k}{unit}" for k in others)))
    for role in roles:
        if role in quoted and not holds_role(role, quoted):
            out.append((role, "副" + role))
    return out


def clashes(asked: str, quoted: str) -> int:
    return len(conflicts(asked, quoted))
