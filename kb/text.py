"""Chinese tokenisation for BM25 and answer scoring: jieba with the bureau vocabulary, plus alias expansion."""
from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)

# Words that carry no topic: question words, particles, and filler common in bureau questions.
STOPWORDS = frozenset("""
的 了 是 在 和 与 及 或 等 对 为 把 被 将 从 向 到 给 有 也 都 就 还 又 并 而 但 这 那 其 之 个 们 我 我们 你 您 他 她 它
吗 呢 吧 啊 么 呀 哪 哪些 哪个 哪家 哪里 哪儿 哪年 哪天 什么 什么样 怎么 怎样 怎么样 如何 多少 几 几个 几项 几家 谁 何 何时 是否 是不是
具体 指 说 里 里面 那个 这个 一个 一下 大概 大约 主要 分别 现在 目前 当初 最后 一共 总共 能 会 可以 要 需要 什么时候
""".split())
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
# A dot between digits written as a middle dot (5·18展洽会, 5・18) is the same as a full stop (5.18): one word.
_DIGIT_DOT = re.compile(r"(?<=\d)[·•・‧．](?=\d)")


def fold_separators(text: str) -> str:
    # Called for every term match: the plain membership tests are ~40x cheaper than the regex on text without dots.
    if "·" in text or "・" in text or "•" in text or "‧" in text or "．" in text:
        return _DIGIT_DOT.sub(".", text)
    return text


# A question word with its unit (哪一届, 哪天, 几个, 第几): jieba splits 天/一届/一年 off as content words that
# then match 天下 / 第二十一届.
_QUESTION_PHRASE = re.compile(r"哪一?[天年届个位家所项种类条次批期座]|几[天年届个位家所项种类条次批期号月点座]|第几|多少[个位家项种类条次批期]")
# Common Chinese surnames: jieba tags many non-names nr (小镇, 牛镇); a name starts with a surname
# (武 left out: 武进 is a district here).
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃戴莫孔向汤盛温栗乔殷柏庄储华")
_PLACE_SUFFIX = frozenset("区县镇市省路街村湖山")
_NOMINAL = frozenset(("vn", "j", "b"))
CJK = re.compile(r"[\u4e00-\u9fff]")
_QUESTION_WORD = re.compile(r"什么|哪|多少|几|谁|怎么|怎样|如何|吗|是否|何")
_COPULAS = frozenset("是 为 叫 有 在 了 的 到 共 一共 总共 分别 具体 都 又 还 能 会 要 大概 大约 目前 现在".split())
_CLASSIFIERS = frozenset("个 种 些 位 名 家 项 次 件 批 期 届 类 条 所 样".split())
_ASKING = frozenset("什么 哪些 哪个 哪家 哪项 哪类 哪几 哪几类 多少 几 几个 几项 几家 谁 哪年 哪一年 哪天 哪一天".split())


def _read_list(path: Path) -> list[str]:
    if not path or not Path(path).is_file():
        return []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _tagger(tokenizer):
    """A POS tagger over our jieba instance. Importing jieba.posseg already read the default dictionary's tag
    table into its module tagger (~0.6 s); a tagger over the same dictionary shares that table rather than
    reading the file again. (Our user words carry no tags: the tagger falls back to its HMM for them.)"""
    import jieba.posseg
    default = jieba.posseg.dt
    if tokenizer.dictionary != default.tokenizer.dictionary:
        return jieba.posseg.POSTokenizer(tokenizer)
    tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    tagger.tokenizer = tokenizer
    tagger.word_tag_tab = dict(default.word_tag_tab)
    return tagger


class Tokenizer:
    """A jieba tokenizer of our own (not the global one) with the vocabulary and aliases loaded."""

    # Raised whenever tokenize() cuts a text differently (the 5·18 folding of the eighth session): an index whose
    # tokens were cut by another version is re-tokenized at the next ingest or repair (kb.indexer).
    VERSION = 2

    def __init__(self, vocab_file: Path | None = None, aliases_file: Path | None = None, cache_dir: Path | None = None):
        self._jieba = jieba.Tokenizer()
        if cache_dir:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            self._jieba.tmp_dir = str(cache_dir)
        self._lock = threading.Lock()
        self._ready = False
        self._pos_tagger = None
        # One tagging per text: a question part is tagged for its answer head and its noun phrases.
        self.tagged = functools.lru_cache(maxsize=512)(self._tag)
        self.vocab = _read_list(vocab_file)
        # The vocabulary file's words name the bureau's programmes and bodies (创新券, 科教城): a question naming
        # one is about it. Alias-file words (奖励 = 资助) are added to jieba below but are not such names.
        self.named = frozenset(line.split()[0].lower() for line in self.vocab)
        self.aliases: dict[str, set[str]] = {}
        for line in _read_list(aliases_file):
            # Lower-cased: query words are (GDP → gdp).
            group = [w.strip().lower() for w in re.split(r"[=＝\s,，]+", line) if w.strip()]
            for word in group:
                self.aliases.setdefault(word, set()).update(w for w in group if w != word)
        self.vocab += [w for w in self.aliases if w not in self.vocab]
        self.fingerprint = hashlib.sha1("\n".join([str(self.VERSION), jieba.__version__, *self.vocab])
                                        .encode("utf-8")).hexdigest()[:16]

    def _init(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._jieba.initialize()
            for line in self.vocab:
                parts = line.split()
                self._jieba.add_word(parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None)
            self._ready = True

    def words(self, text: str) -> list[str]:
        """Search-mode jieba words (long words and their parts), lower-cased, no punctuation."""
        if not self._ready:
            self._init()
        return [w.lower() for w in self._jieba.cut_for_search(fold_separators(text)) if w.strip() and not _PUNCT.match(w)]

    def tokenize(self, text: str) -> list[str]:
        """Tokens for indexing passages."""
        return [w for w in self.words(text) if w not in STOPWORDS]

    def query_terms(self, question: str) -> list[str]:
        """Content terms of a question (question words dropped), in order, without repeats."""
        seen: dict[str, None] = {}
        for w in self.words(_QUESTION_PHRASE.sub(" ", question)):
            if w not in STOPWORDS:
                seen.setdefault(w, None)
        return list(seen)

    def _pos(self):
        """Part-of-speech tagger over our jieba instance; loading its tag table takes ~0.5 s, so once."""
        if not self._ready:
            self._init()
        with self._lock:
            if self._pos_tagger is None:
                import jieba.posseg
                self._pos_tagger = _tagger(self._jieba)
        return self._pos_tagger

    def _tag(self, text: str) -> tuple[tuple[str, str], ...]:
        # jieba tags a user word it has no tag for "x", as it tags punctuation; our user words are the
        # vocabulary's names of things (营业收入, 地区生产总值, 科教城): nouns, so that they can be what is asked.
        return tuple((w.word, "nz" if w.flag == "x" and CJK.search(w.word) else w.flag)
                     for w in self._pos().cut(text))

    # A word jieba's dictionary counts this often is everyday Chinese (时候 31521, 起来, 名字 5359), not a term of
    # art (注册资本 3, 竣工 687) or a name. Set by reading the words that refusal messages named on the dev and probe
    # questions; only the wording of refusal reasons depends on it, no answer.
    EVERYDAY_FREQ = 3000

    def _dictionary_count(self, word: str) -> int:
        """jieba's count of the word (our vocabulary's words included); 0 for one its HMM joined."""
        if not self._ready:
            self._init()
        return self._jieba.FREQ.get(word) or 0

    def everyday(self, word: str) -> bool:
        """A word of everyday Chinese by jieba's dictionary frequency (see EVERYDAY_FREQ)."""
        return self._dictionary_count(word) > self.EVERYDAY_FREQ

    def made_up(self, word: str) -> bool:
        """A word neither jieba's dictionary nor our vocabulary holds: its HMM joined the characters (能贷 of
        能贷多少, a name it has not seen)."""
        return not self._dictionary_count(word)

    def slot(self, question: str, width: int = 2) -> list[str]:
        """The content words right beside the question word, of any part of speech: what the answer must sit next
        to in a sentence (占地[多少]亩 → 占地 亩, [哪一年]成立 → 成立, 股票代码是[多少] → 股票代码). Unlike
        `answer_head` this keeps verbs and units."""
        words = self.tagged(question)
        asks = [i for i, (w, _) in enumerate(words) if _QUESTION_WORD.search(w)]
        if not asks:
            return []
        i = asks[-1]

        def content(k: int) -> bool:
            w, flag = words[k]
            return (w not in STOPWORDS and w not in _CLASSIFIERS and not _PUNCT.match(w) and not w.isdigit()
                    and not _QUESTION_WORD.search(w) and flag[:1] not in ("u", "p", "c", "r", "y", "x", "d"))

        left, j = [], i - 1
        while j >= 0 and words[j][0] in _COPULAS:
            j -= 1
        while j >= 0 and len(left) < width and content(j):
            left.insert(0, words[j][0].lower())
            j -= 1
        right, k = [], i + 1
        while k < len(words) and (words[k][0] in _CLASSIFIERS or words[k][0] in ("的", "是")):
            k += 1
        while k < len(words) and len(right) < width and content(k):
            right.append(words[k][0].lower())
            k += 1
        return left + right

    def answer_head(self, question: str) -> list[str]:
        """Words naming what the question asks for: the nouns right after 哪些/什么/多少…
        (哪些国家重大工程 → 国家 重大 工程), else the noun before 是/为/有 + question word (主题是什么 → 主题,
        员工有多少人 → 员工, 孵化器哪年成立 → 孵化器)."""
        words = self.tagged(question)
        asks = [i for i, (w, _) in enumerate(words) if w in _ASKING]
        if not asks:
            return []
        i = asks[-1]
        head = []
        k = i + 1
        while k < len(words) and words[k][0] in ("的", "样", "样的", "种", "些"):
            k += 1
        for word, flag in words[k:]:
            if flag[:1] in ("n", "a", "b", "m", "q") or flag == "vn":
                head.append(word)
            else:
                break
        unit = len("".join(head)) == 1    # 多少人 / 几个: a unit; what is counted is named before it
        if unit:
            head = []
        if not head:
            j = i - 1
            while j >= 0 and words[j][0] in ("是", "为", "叫", "有", "指", "具体"):
                j -= 1
            while j >= 0 and words[j][1][:1] in ("n", "a", "b") and words[j][0] not in STOPWORDS:
                head.insert(0, words[j][0])
                j -= 1
            if unit:                      # the counted noun itself: 以色列籍员工有多少人 → 员工
                head = head[-1:]
        return [w.lower() for w in head if w not in STOPWORDS and not _PUNCT.match(w)]

    def asked_unit(self, question: str, units: frozenset[str]) -> str:
        """The unit a count is asked in: the measure word right after 多少/几 (多少名, 几天, 多少万吨 → 吨, 几个月
        → 月), if it is one of `units`; empty when none is named (多少个项目, 多少支持)."""
        words = [w for w, _ in self.tagged(question)]
        for i, word in enumerate(words):
            asks = 2 if word.startswith("多少") else 1 if word.startswith("几") else 0
            if not asks or (asks == 1 and i and words[i - 1][-1:] in ("这", "近", "前")):   # 这几年: not asked
                continue
            for unit in (word[asks:], *words[i + 1: i + 3]):
                unit = unit.lstrip("万亿千百").lower()
                if unit and unit != "个":
                    return unit if unit in units else ""
        return ""

    def has_person_name(self, text: str) -> bool:
        words = self.tagged(text)
        return any(flag.startswith("nr") and 2 <= len(word) <= 3 and word[0] in _SURNAMES
                   and word[-1] not in _PLACE_SUFFIX                                        # 钟楼区
                   and not (i + 1 < len(words) and words[i + 1][0][:1] in _PLACE_SUFFIX)     # 牛镇
                   for i, (word, flag) in enumerate(words))

    def noun_phrases(self, text: str) -> list[tuple[list[str], str]]:
        """Runs of nouns as (modifiers, head): 博士后科研工作站 → ([博士后, 科研], 工作站)."""
        phrases, run = [], []
        for word, flag in [*self.tagged(text), ("", "")]:
            if (flag[:1] == "n" or flag in _NOMINAL) and not _PUNCT.match(word):
                run.append(word.lower())
                continue
            if len(run) > 1:
                phrases.append((run[:-1], run[-1]))
            run = []
        return phrases

    def expand(self, terms: list[str]) -> list[str]:
        """Terms plus their aliases (高企 → 高新技术企业)."""
        out = list(terms)
        for term in terms:
            for alias in sorted(self.aliases.get(term, ())):
                out += [w for w in self.tokenize(alias) if w not in out]
        return out


class TermWeights:
    """Question terms with IDF weights, and a coverage measure over a piece of text.

    IDF is capped so one rare word of the question's phrasing cannot outweigh its content words;
    bare numbers count half (questions say 2019年 where the text says 去年), and so do words that no
    passage holds (顶替, 拿过): they cannot tell passages apart, only dilute the words that can.
    With soft > 0, an absent word of two or more characters earns soft × its weight × the share of its
    characters the text holds: a paraphrase often keeps one morpheme (沿线/沿江, 扶持/支持).
    """

    IDF_CAP = 6.0
    UNSEEN_FACTOR = 0.5

    def __init__(self, terms: list[str], idf, aliases: dict[str, set[str]], soft: float = 0.0):
        unseen = idf("\x00")    # the IDF of a word no passage holds
        self.weights = {t: min(w, self.IDF_CAP) * (0.5 if t.isdigit() else 1.0) * (self.UNSEEN_FACTOR if w >= unseen else 1.0)
                        for t, w in ((t, idf(t)) for t in terms if len(t) > 1 or not t.isascii())}
        self.aliases = aliases
        self.soft = soft
        self.idf_of = idf
        self.total = sum(self.weights.values()) or 1.0

    @property
    def terms(self) -> list[str]:
        return list(self.weights)

    def present(self, term: str, text: str) -> bool:
        return self._holds(term, fold_separators(text))

    def _holds(self, term: str, text: str) -> bool:
        return term in text or any(a in text for a in self.aliases.get(term, ()))

    def matched_weight(self, text: str) -> float:
        text = fold_separators(text.lower())
        total = 0.0
        for t, w in self.weights.items():
            if self._holds(t, text):
                total += w
            elif self.soft and len(t) > 1:
                total += self.soft * w * sum(ch in text for ch in t) / len(t)
        return total

    def coverage(self, text: str) -> float:
        return self.matched_weight(text) / self.total

    def opens_with_key_term(self, text: str) -> bool:
        head = text.lstrip("“\"'「『（(■ ")[:8].lower()
        return any(w >= 3.0 and len(t) >= 2 and head.startswith(t) for t, w in self.weights.items())
