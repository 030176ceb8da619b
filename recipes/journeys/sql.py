"""Stage conditions as SQL over the JSON columns: bound parameters only, never text from a user.

Each rule means what recipes.engine.conditions means in Python: a value compares only with a
value of its own JSON type (numbers as numbers, so 1 equals 1.0 and never true), a missing
field fails every test except `ne`, `not_in` and `exists: false`. Field names reach the
database as a bound path (`text[]` on PostgreSQL, a quoted JSON path on SQLite), values as
bound parameters, so no part of a condition is ever SQL text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

Clause = sa.ColumnElement[Any]


class JsonValue:
    """The JSON value at one path of one column, read the way the session's database can."""

    def __init__(self, dialect: str, column: Any, keys: list[str]) -> None:
        self.postgres = dialect == "postgresql"
        self.column = column
        if self.postgres:
            path = sa.bindparam(None, keys, type_=ARRAY(sa.Text()))
            self.value: Clause = sa.type_coerce(column, JSONB).op("#>", return_type=JSONB)(path)
            self.kind: Clause = sa.func.jsonb_typeof(self.value)
            self.text: Clause = sa.type_coerce(column, JSONB).op("#>>", return_type=sa.Text())(path)
        else:
            self.path = sa.bindparam(None, "$" + "".join(f'."{key}"' for key in keys), type_=sa.Text())
            self.kind = sa.func.json_type(column, self.path)
            self.text = sa.func.json_extract(column, self.path)

    def as_text(self) -> Clause:
        """The value as text, alike on both databases: `pro`, `3`, `true`; JSON null and missing are NULL."""
        if self.postgres:
            return self.text
        literal = self.kind.in_(("true", "false"))
        return sa.case((literal, self.kind), else_=sa.cast(self.text, sa.Text()))

    def is_string(self) -> Clause:
        return self.kind == ("string" if self.postgres else "text")

    def is_number(self) -> Clause:
        return self.kind == "number" if self.postgres else self.kind.in_(("integer", "real"))

    def is_literal(self, value: bool | None) -> Clause:
        """JSON true, false or null."""
        name = "null" if value is None else ("true" if value else "false")
        if self.postgres and value is not None:
            return sa.and_(self.kind == "boolean", self.text == name)
        return self.kind == name

    def number(self) -> Clause:
        if self.postgres:
            return sa.case((self.is_number(), sa.cast(self.text, sa.Numeric())))
        return self.text

    def bound_number(self, value: int | float) -> Clause:
        if self.postgres:
            return sa.bindparam(None, Decimal(repr(value)), type_=sa.Numeric())
        return sa.bindparam(None, value)

    def equals(self, value: Any) -> Clause:
        if isinstance(value, bool) or value is None:
            return self.is_literal(value)
        if isinstance(value, str):
            return sa.and_(self.is_string(), self.text == value)
        return sa.and_(self.is_number(), self.number() == self.bound_number(value))

    def one_of(self, values: list[Any]) -> Clause:
        texts = [v for v in values if isinstance(v, str)]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        parts = [
            self.is_literal(v) for v in dict.fromkeys(v for v in values if isinstance(v, bool) or v is None)
        ]
        if texts:
            parts.append(sa.and_(self.is_string(), self.text.in_(texts)))
        if numbers:
            parts.append(
                sa.and_(self.is_number(), self.number().in_([self.bound_number(n) for n in numbers]))
            )
        return sa.or_(*parts) if parts else sa.false()

    def holds(self, item: Any) -> Clause:
        """A JSON array with `item` as one of its elements."""
        if self.postgres:
            contained = sa.cast(sa.bindparam(None, json.dumps([item]), type_=sa.Text()), JSONB)
            return sa.and_(self.kind == "array", self.value.op("@>")(contained))
        each = sa.func.json_each(self.column, self.path).table_valued("type", "value")
        if isinstance(item, bool) or item is None:
            match: Clause = each.c.type == ("null" if item is None else ("true" if item else "false"))
        elif isinstance(item, str):
            match = sa.and_(each.c.type == "text", each.c.value == item)
        else:
            match = sa.and_(each.c.type.in_(("integer", "real")), each.c.value == item)
        return sa.and_(
            self.kind == "array", sa.exists(sa.select(sa.literal(1)).select_from(each).where(match))
        )

    def contains(self, value: Any) -> Clause:
        if not isinstance(value, str):
            return self.holds(value)
        inside = sa.func.strpos(self.text, value) if self.postgres else sa.func.instr(self.text, value)
        return sa.or_(sa.and_(self.is_string(), inside > 0), self.holds(value))

    def compare(self, op: str, value: int | float) -> Clause:
        test: Callable[[Clause, Clause], Clause] = _COMPARE[op]
        return sa.and_(self.is_number(), test(self.number(), self.bound_number(value)))

    def present(self, wanted: bool) -> Clause:
        there = sa.and_(self.kind.is_not(None), self.kind != "null")
        return there if wanted else sa.not_(sa.func.coalesce(there, sa.false()))


_COMPARE: dict[str, Callable[[Clause, Clause], Clause]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def uses_traits(condition: Mapping[str, Any]) -> bool:
    parts = condition.get("all") or condition.get("any")
    if parts is not None:
        return any(uses_traits(part) for part in parts)
    return str(condition["field"]).startswith("traits.")


def translate(condition: Mapping[str, Any], dialect: str, properties: Any, traits: Any) -> Clause:
    """The condition as a SQL clause on the event's `properties` and the person's `traits` columns."""
    if "all" in condition:
        return sa.and_(*(translate(part, dialect, properties, traits) for part in condition["all"]))
    if "any" in condition:
        return sa.or_(*(translate(part, dialect, properties, traits) for part in condition["any"]))
    source, *keys = str(condition["field"]).split(".")
    value = JsonValue(dialect, properties if source == "properties" else traits, keys)
    op: str = condition["op"]
    expected: Any = condition.get("value")
    if op == "exists":
        return value.present(expected is not False)
    negated = op in ("ne", "not_in")
    if op in ("eq", "ne"):
        clause = value.equals(expected)
    elif op in ("in", "not_in"):
        clause = value.one_of(list(expected))
    elif op == "contains":
        clause = value.contains(expected)
    else:
        clause = value.compare(op, expected)
    settled = sa.func.coalesce(clause, sa.false())
    return sa.not_(settled) if negated else settled
