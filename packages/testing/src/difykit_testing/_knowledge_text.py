"""Text handling of the emulated knowledge base: cleaning, chunking, keywords, keyword scores.

Dify splits documents with its process rule (a separator and a size in tokens), extracts up to
ten keywords per chunk (jieba's TF-IDF on economy indexes) and searches economy indexes by
keyword. Here a token is a word, keywords are the most frequent non-stop words, and a chunk's
score is the share of the query's terms it contains (so always in (0, 1] for a hit).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._json import is_object

__all__ = [
    "AUTOMATIC_RULES",
    "DEFAULT_RULES",
    "Piece",
    "clean_text",
    "extract_keywords",
    "keyword_score",
    "split_document",
    "terms",
]

AUTOMATIC_RULES: dict[str, Any] = {
    "pre_processing_rules": [
        {"id": "remove_extra_spaces", "enabled": True},
        {"id": "remove_urls_emails", "enabled": False},
    ],
    "segmentation": {"delimiter": "\n", "max_tokens": 500, "chunk_overlap": 50},
}
"""The rules Dify stores for ``process_rule.mode == "automatic"``."""

DEFAULT_RULES: dict[str, Any] = {
    "mode": "custom",
    "rules": {
        "pre_processing_rules": [
            {"id": "remove_extra_spaces", "enabled": True},
            {"id": "remove_urls_emails", "enabled": False},
        ],
        "segmentation": {"delimiter": "\n", "max_tokens": 1024, "chunk_overlap": 50},
    },
}
"""What Dify reports as a dataset's process rule before it has one."""

_STOPWORD_TEXT = """
    a about above after again all also am an and any are as at be been before being below
    between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me more most my no
    nor not now of off on once only or other our out over own same she should so some such than
    that the their them then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)
_URL = re.compile(r"https?://[^\s]+|www\.[^\s]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_EXTRA_NEWLINES = re.compile(r"\n{3,}")
_EXTRA_SPACES = re.compile(r"[\t\f\r\x20\u00a0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000]{2,}")


def _stem(word: str) -> str:
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def terms(text: str) -> set[str]:
    """The search terms of a text: lower-cased, lightly stemmed words without stop words."""
    words = [_stem(w) for w in _WORD.findall(text)]
    meaningful = {w for w in words if w not in _STOPWORDS}
    return meaningful or set(words)


def extract_keywords(text: str, limit: int = 10) -> list[str]:
    """Up to ``limit`` keywords: the most frequent non-stop words, in their first spelling."""
    spelled: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for word in _WORD.findall(text):
        key = word.lower()
        if key in _STOPWORDS or len(key) < 2 or key.isdigit():
            continue
        spelled.setdefault(key, word)
        counts[key] += 1
    order = {key: index for index, key in enumerate(spelled)}
    ranked = sorted(counts, key=lambda key: (-counts[key], order[key]))
    return [spelled[key] for key in ranked[:limit]]


def keyword_score(query_terms: set[str], text: str, keywords: Iterable[str] = ()) -> float:
    """The share of the query's terms found in the text or its keywords (0 when none)."""
    if not query_terms:
        return 0.0
    found = terms(text) | {_stem(k) for keyword in keywords for k in _WORD.findall(keyword)}
    return round(len(query_terms & found) / len(query_terms), 4)


def _enabled(rules: Mapping[str, Any], rule_id: str) -> bool:
    pre_processing: Sequence[Any] = rules.get("pre_processing_rules") or []
    for rule in pre_processing:
        if is_object(rule) and rule.get("id") == rule_id:
            return bool(rule.get("enabled"))
    return False


def clean_text(text: str, rules: Mapping[str, Any]) -> str:
    """Apply the pre-processing rules (``remove_extra_spaces``, ``remove_urls_emails``)."""
    text = text.replace("\x00", "")
    if _enabled(rules, "remove_extra_spaces"):
        text = _EXTRA_NEWLINES.sub("\n\n", text)
        text = _EXTRA_SPACES.sub(" ", text)
    if _enabled(rules, "remove_urls_emails"):
        text = _EMAIL.sub("", text)
        text = _URL.sub("", text)
    return text


@dataclass
class Piece:
    """A chunk the splitter made, with the child chunks of a parent-child document."""

    content: str
    children: list[str] = field(default_factory=list)


def _words(text: str) -> int:
    return len(text.split())


def _windows(text: str, max_tokens: int) -> list[str]:
    """A piece larger than ``max_tokens`` words, cut into pieces of at most that many."""
    words = text.split()
    return [" ".join(words[i : i + max_tokens]) for i in range(0, len(words), max_tokens)]


def _separator(segmentation: Mapping[str, Any], default: str) -> str:
    raw = segmentation.get("separator") or segmentation.get("delimiter") or default
    return str(raw).replace("\\n", "\n")


def _max_tokens(segmentation: Mapping[str, Any], default: int) -> int:
    value = segmentation.get("max_tokens")
    return value if isinstance(value, int) and value > 0 else default


def _split(text: str, separator: str, max_tokens: int) -> list[str]:
    """Split on the separator; cut pieces that are too long (Dify's fixed splitter)."""
    chunks: list[str] = []
    for raw in text.split(separator):
        piece = raw.strip()
        if not piece:
            continue
        chunks.extend([piece] if _words(piece) <= max_tokens else _windows(piece, max_tokens))
    return chunks


def _merge(text: str, separator: str, max_tokens: int) -> list[str]:
    """Split on the separator and merge neighbours up to ``max_tokens`` (automatic mode)."""
    chunks: list[str] = []
    buffer: list[str] = []
    size = 0

    def flush() -> None:
        joined = separator.join(buffer).strip()
        if joined:
            chunks.extend(
                [joined] if _words(joined) <= max_tokens else _windows(joined, max_tokens)
            )
        buffer.clear()

    for raw in text.split(separator):
        words = _words(raw)
        if buffer and size + words > max_tokens:
            flush()
            size = 0
        buffer.append(raw)
        size += words
    flush()
    return chunks


def split_document(text: str, mode: str, rules: Mapping[str, Any] | None) -> list[Piece]:
    """Cut a document into chunks as its process rule says.

    ``automatic``: lines merged into chunks of up to 500 words. ``custom``: split on the
    separator (default ``"\\n"``), pieces longer than ``max_tokens`` words cut. ``hierarchical``:
    parents by paragraph (separator default ``"\\n\\n"``) or the whole document (``full-doc``),
    each split into child chunks by ``subchunk_segmentation`` (default ``"\\n"``, 200 words).
    """
    rules = rules if mode != "automatic" and rules is not None else AUTOMATIC_RULES
    text = clean_text(text, rules)
    segmentation: Mapping[str, Any] = rules.get("segmentation") or {}
    if mode == "automatic":
        return [Piece(c) for c in _merge(text, "\n", _max_tokens(segmentation, 500))]
    if mode != "hierarchical":
        separator = _separator(segmentation, "\n")
        return [Piece(c) for c in _split(text, separator, _max_tokens(segmentation, 1024))]
    if rules.get("parent_mode") == "full-doc":
        parents = [text.strip()] if text.strip() else []
    else:
        parents = _split(text, _separator(segmentation, "\n\n"), _max_tokens(segmentation, 500))
    sub: Mapping[str, Any] = rules.get("subchunk_segmentation") or {}
    sub_separator, sub_tokens = _separator(sub, "\n"), _max_tokens(sub, 200)
    return [Piece(parent, _split(parent, sub_separator, sub_tokens)) for parent in parents]
