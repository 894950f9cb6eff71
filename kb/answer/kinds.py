"""The one table of answer kinds: how a question part asks for it, and what a quote holding it looks like.

Checked in order; the first kind whose question pattern matches is the part's kind. `evidence` is None where
any sentence can hold the answer (how, yes/no, other); the scorer learns how much a missing kind counts.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    label: str                       # Chinese, for explanations
    asks: re.Pattern
    evidence: re.Pattern | None


def _re(pattern: str) -> re.Pattern:
    return re.compile(pattern)


_MONEY = r"\d\s*(?:万|亿|千|百)?\s*(?:元|美元|欧元)|[一二三四五六七八九十百千万亿]+元"
_NUMBER = r"(?<![\d.])(?!(?:19|20)\d\d\s*年)\d|[一二三四五六七八九十两百千万]+[个项家人名次年件类期批位所台条]|第[一二三四五六七八九十]"
_ORG = r"(?:公司|集团|大学|学院|研究院|研究所|中心|银行|医院|局|委员会|协会|实验室|基地|平台|园)"

KINDS: tuple[Kind, ...] = (
    Kind("time", "时刻", _re(r"几点|营业时间|开放时间"), _re(r"\d+\s*[:：点时]|上午|下午|晚上|凌晨|全天")),
    Kind("date", "日期", _re(r"什么时候|什么时间|何时|哪天|哪一天|截止|几月|几号|日期|哪个月"),
         _re(r"\d+\s*月|\d+\s*日|[一二三四五六七八九十]+月|月底|月初|年底|年初|上半年|下半年|(?:19|20)\d\d\s*年")),
    Kind("year", "年份", _re(r"哪一?年|何年|年份"), _re(r"(?:19|20)\d\d\s*年|\d{2}年|[今去前明]年")),
    Kind("person", "人名", _re(r"(?:长|主任|书记|负责人|带头人|创始人|院士|教授|专家|主席|经理|董事)(?:是谁|叫什么|叫啥)"
                             r"|谁带|谁率|谁牵头|是谁|叫什么名字|姓名|哪位"), None),   # names: the tokenizer's tagger
    Kind("title", "文件名称", _re(r"(?:哪个|哪份|哪项|什么|哪些)(?:文件|政策|办法|规定|通知|意见|细则|标准)|依据|根据什么"
                              r"|(?:文件|政策|办法|规定|通知|意见|细则|标准)[^，,。？?]{0,4}(?:叫什么|的名称|名字)"),
         _re(r"《|[A-Z]{2,}(?:/[A-Z]+)?\s?\d")),
    Kind("percent", "比例", _re(r"比例|占比|比重|百分之|增长率|增幅|增速|通过率|占有率|贡献率|多少成"),
         _re(r"\d\s*(?:%|％)|百分之|\d\s*成|[一二三四五六七八九]成|\d+/\d+|[一二三四五六七八九十]分之")),
    Kind("rank", "名次", _re(r"第几|排名|名次|排在|排第|位次"), _re(r"第\s*[\d一二三四五六七八九十]+|前\s*[\d一二三四五六七八九十]+|首位|榜首")),
    Kind("amount", "金额", _re(r"(?:多少|几)(?:钱|万|亿|元)|(?:资助|补贴|补助|奖励|奖金|资金|资本|资产|经费|金额|利润|收入|营收|营业额|销售额|投资|融资|"
                             r"出资|费用|成本|税收|价格|售价|预算|产值|规模|总额|贷款|奖补|给多少|奖多少)[^，,。？?]{0,8}(?:多少|多大|几)"
                             r"|(?:多少|几)[^，,。？?]{0,6}(?:资助|补贴|补助|奖励|奖金|资金|经费|投资|贷款)"),
         _re(_MONEY)),
    Kind("list", "列举", _re(r"哪些|哪几|哪[“\"「]?[一二三四五六七八九十两\d]+|包括|有什么|分别|几类|几项"), _re(r"、|；|;")),
    Kind("count", "数量", _re(r"多少|几[个项家人名次年件类期批位所台条种座]|多大|多高|多长|多久|数量|几"), _re(_NUMBER)),
    Kind("org", "单位", _re(r"哪家|哪个(?:单位|企业|机构|公司|学校|高校|部门|大学|平台)|哪所|什么(?:单位|机构|企业|公司)"),
         _re(_ORG)),
    Kind("define", "定义", _re(r"指什么|是什么意思|什么意思|含义|定义|指的是"), _re(r"是指|指的是|意思是|即|就是")),
    Kind("yesno", "是否", _re(r"是否|是不是|有没有|吗[？?]?$|一样吗|相同吗"), None),
    Kind("how", "做法", _re(r"怎么|如何|怎样|做法|措施|举措|办法"), None),
)
OTHER = Kind("other", "事实", _re(r"$^"), None)


def kind_of(part: str) -> Kind:
    return next((k for k in KINDS if k.asks.search(part)), OTHER)


# The units a count is asked in (多少家, 几位, 多少亩, 多少GWh). 个 counts anything and is never asked; 元 is the
# amount kind's own evidence.
UNITS = frozenset("""家 项 人 名 位 次 年 件 类 期 批 所 台 套 条 种 座 笔 只 天 周 月 倍 届 篇 门 款 张 支 户 场 轮 辆 吨 亩
公顷 平方公里 平方米 公里 千瓦 小时 gwh mw""".split())
# Units that count the same things: a quote may answer 多少名 in 人.
_SAME_UNIT = {u: group for group in (frozenset("人名位"), frozenset("项件"), frozenset("家户所"), frozenset("次场轮届"))
              for u in group}
_COUNTED = r"(?:\d+(?:\.\d+)?|[一二三四五六七八九十两百千万]+)\s*(?:[多余万亿千百]\s*)*(?:个)?\s*(?:"


@functools.lru_cache(maxsize=64)
def _unit_pattern(unit: str) -> re.Pattern:
    units = sorted(_SAME_UNIT.get(unit, {unit}), key=len, reverse=True)
    return re.compile(_COUNTED + "|".join(map(re.escape, units)) + ")", re.IGNORECASE)


def holds_unit(unit: str, text: str) -> bool:
    """The text gives a figure in the unit asked, or in one counting the same things (20余名, 1.5万人, 3个月)."""
    return _unit_pattern(unit).search(text) is not None
