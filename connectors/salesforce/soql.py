"""The SOQL subset the Salesforce fake understands, parsed strictly and evaluated per row.

Grammar: ``SELECT f[, f] | COUNT() FROM o [WHERE c [AND c]] [ORDER BY f [ASC|DESC]] [LIMIT n]``
where a condition is ``f = | != | <> literal`` or ``f [NOT] IN (literal, ...)``. Anything
else answers ``MALFORMED_QUERY`` with Salesforce's caret-under-the-token message instead of
guessing, so a connector that builds a query the real API would reject fails here too. Kept
apart from the fake because the language has no stake in how records are stored or served.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from connectors.sdk.fakes.handlers import ApiError

TOKEN = re.compile(r"\s*(?:('(?:[^'\\]|\\.)*')|(!=|<>|[=(),])|([A-Za-z_][\w.]*)|(\d+))")
Literal = str | bool | None | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Literal

    def test(self, actual: Any) -> bool:
        """SOQL compares text case-insensitively; ``= null`` tests for a missing value."""
        if self.op in ("IN", "NOT IN"):
            values = self.value if isinstance(self.value, tuple) else ()
            inside = actual is not None and str(actual).lower() in {v.lower() for v in values}
            return inside if self.op == "IN" else not inside
        if self.value is None or isinstance(self.value, bool):
            equal = actual is self.value
        else:
            equal = actual is not None and str(actual).lower() == str(self.value).lower()
        return equal if self.op == "=" else not equal


@dataclass(frozen=True, slots=True)
class Query:
    sobject: str
    fields: tuple[str, ...]
    count_only: bool = False
    where: tuple[Condition, ...] = ()
    order_by: tuple[str, bool] | None = None
    limit: int | None = None

    def resolved(self, canonical: Callable[[str], str]) -> Query:
        return replace(
            self,
            fields=tuple(dict.fromkeys(canonical(f) for f in self.fields)),
            where=tuple(replace(c, field=canonical(c.field)) for c in self.where),
            order_by=(canonical(self.order_by[0]), self.order_by[1]) if self.order_by else None,
        )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.tokens, position = text, [], 0
        while position < len(text.rstrip()):
            match = TOKEN.match(text, position)
            if not match:
                self.fail(position, text[position:].split()[0])
            self.tokens.append((match.start(match.lastindex or 0), match.group(match.lastindex or 0)))
            position = match.end()
        self.index = 0

    def fail(self, position: int, token: str) -> NoReturn:
        raise ApiError(
            400,
            f"\n{self.text}\n{' ' * position}^\nERROR at Row:1:Column:{position + 1}\n"
            f"unexpected token: '{token}'",
            "MALFORMED_QUERY",
        )

    def peek(self) -> str:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else ""

    def take(self, *expected: str) -> str:
        if self.index >= len(self.tokens):
            self.fail(len(self.text), "<EOF>")
        position, token = self.tokens[self.index]
        if expected and token.upper() not in expected:
            self.fail(position, token)
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        if self.peek().upper() == word:
            self.index += 1
            return True
        return False

    def name(self) -> str:
        token = self.take()
        if not re.fullmatch(r"[A-Za-z_][\w.]*", token) or token.upper() in ("FROM", "WHERE", "AND", "SELECT"):
            self.fail(self.tokens[self.index - 1][0], token)
        return token

    def literal(self) -> Literal:
        token = self.take()
        if token.upper() in ("NULL", "TRUE", "FALSE"):
            return {"NULL": None, "TRUE": True, "FALSE": False}[token.upper()]
        if not token.startswith("'"):
            self.fail(self.tokens[self.index - 1][0], token)
        return re.sub(r"\\(.)", r"\1", token[1:-1])

    def condition(self) -> Condition:
        field = self.name()
        if self.keyword("NOT"):
            self.take("IN")
            op = "NOT IN"
        else:
            op = self.take("=", "!=", "<>", "IN").upper().replace("<>", "!=")
        if op not in ("IN", "NOT IN"):
            return Condition(field, op, self.literal())
        self.take("(")
        values = [self.literal()]
        while self.keyword(","):
            values.append(self.literal())
        self.take(")")
        return Condition(field, op, tuple(str(v) for v in values))

    def query(self) -> Query:
        self.take("SELECT")
        count_only = self.peek().upper() == "COUNT"
        fields = self.select_list(count_only)
        self.take("FROM")
        sobject = self.name()
        where = self.where()
        order_by = self.order_by()
        limit = self.limit()
        if self.index < len(self.tokens):
            self.fail(*self.tokens[self.index])
        return Query(sobject, fields, count_only, where, order_by, limit)

    def select_list(self, count_only: bool) -> tuple[str, ...]:
        if count_only:
            for token in ("COUNT", "(", ")"):
                self.take(token)
            return ()
        fields = [self.name()]
        while self.keyword(","):
            fields.append(self.name())
        return tuple(fields)

    def where(self) -> tuple[Condition, ...]:
        if not self.keyword("WHERE"):
            return ()
        conditions = [self.condition()]
        while self.keyword("AND"):
            conditions.append(self.condition())
        return tuple(conditions)

    def order_by(self) -> tuple[str, bool] | None:
        if not self.keyword("ORDER"):
            return None
        self.take("BY")
        field = self.name()
        descending = self.keyword("DESC")
        if not descending:
            self.keyword("ASC")
        return (field, descending)

    def limit(self) -> int | None:
        if not self.keyword("LIMIT"):
            return None
        token = self.take()
        if not token.isdigit():
            self.fail(self.tokens[self.index - 1][0], token)
        return int(token)


def parse_soql(text: str) -> Query:
    return _Parser(text).query()


def sort_key(value: Any) -> tuple[int, str]:
    """ORDER BY as Salesforce collates by default: nulls first, then text ignoring case."""
    return (0, "") if value is None else (1, str(value).lower())
