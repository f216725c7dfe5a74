"""Metadata filters of a retrieval (``metadata_filtering_conditions``) as predicates.

They compare a document's ``doc_metadata`` values the way Dify's SQL filters do: strings by
text (``contains``, ``start with``, ``is``…), numbers and times as numbers (``>``, ``≤``,
``before``, ``after``…); a document without the field only matches ``empty``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ._json import is_array

__all__ = ["metadata_filter"]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _condition(name: str, operator: str, expected: Any) -> Callable[[dict[str, Any]], bool]:
    """One metadata condition as a predicate on a document's ``doc_metadata``."""

    def check(values: dict[str, Any]) -> bool:
        actual = values.get(name)
        if operator == "empty":
            return actual is None or actual == ""
        if actual is None:
            return False
        if operator == "not empty":
            return bool(actual != "")
        text, wanted = str(actual), "" if expected is None else str(expected)
        if operator in ("in", "not in"):
            options = expected if is_array(expected) else wanted.split(",")
            found = text in {str(o).strip() for o in options}
            return found if operator == "in" else not found
        string_tests: dict[str, Callable[[], bool]] = {
            "contains": lambda: wanted in text,
            "not contains": lambda: wanted not in text,
            "start with": lambda: text.startswith(wanted),
            "end with": lambda: text.endswith(wanted),
        }
        if operator in string_tests:
            return string_tests[operator]()
        left, right = _number(actual), _number(expected)
        if operator in ("is", "=", "is not", "≠"):
            same = left == right if left is not None and right is not None else text == wanted
            return same if operator in ("is", "=") else not same
        if left is None or right is None:
            return False
        comparisons: dict[str, Callable[[float, float], bool]] = {
            ">": lambda a, b: a > b,
            "after": lambda a, b: a > b,
            "<": lambda a, b: a < b,
            "before": lambda a, b: a < b,
            "≥": lambda a, b: a >= b,
            ">=": lambda a, b: a >= b,
            "≤": lambda a, b: a <= b,
            "<=": lambda a, b: a <= b,
        }
        compare = comparisons.get(operator)
        return compare(left, right) if compare is not None else False

    return check


def metadata_filter(
    conditions: Iterable[tuple[str, str, Any]], logical_operator: str | None
) -> Callable[[dict[str, Any]], bool] | None:
    """A predicate for ``metadata_filtering_conditions`` (``None`` when there are none).

    Each condition is (field name, comparison operator, value); ``logical_operator`` is
    ``and`` (the default) or ``or``.
    """
    checks = [_condition(name, operator, value) for name, operator, value in conditions]
    if not checks:
        return None
    combine = any if logical_operator == "or" else all
    return lambda values: combine(check(values) for check in checks)
