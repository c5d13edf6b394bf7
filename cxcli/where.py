"""`--where`: a small, safe filter grammar evaluated with pyarrow.compute — never eval.

    expr   := or
    or     := and ("or" and)*
    and    := not ("and" not)*
    not    := "not" not | atom
    atom   := "(" expr ")" | value cmp value | value ["not"] "in" "(" literal ("," literal)* ")"
            | value "is" ["not"] "null"
    cmp    := = | == | != | <> | < | <= | > | >=
    value  := column | literal;  column := name | "name with spaces";  literal := 'text' | number

Comparisons follow SQL: a missing value makes the comparison unknown, and unknown rows are
left out. A column compared with a number is read as numbers (text that is not a number is
unknown); compared with text, as text. Two columns compare as numbers in the rows where both
hold numbers (whatever the file format: CSV text or typed Parquet), as text elsewhere.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import UsageError
from .values import parse_numbers

MAX_LENGTH = 2000
MAX_DEPTH = 50

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<string>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<op><=|>=|==|!=|<>|=|<|>)
    | (?P<punct>[(),])
    | (?P<name>[^\W\d][\w.]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "null"}
_OPS: dict[str, Callable] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_PC_OPS = {
    operator.eq: pc.equal,
    operator.ne: pc.not_equal,
    operator.lt: pc.less,
    operator.le: pc.less_equal,
    operator.gt: pc.greater,
    operator.ge: pc.greater_equal,
}

# A truth value per row in SQL's three-valued logic: (rows known true, rows known false).
Truth = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Column:
    name: str


@dataclass(frozen=True)
class Literal:
    value: str | float


@dataclass(frozen=True)
class Compare:
    left: Column | Literal
    op: str
    right: Column | Literal


@dataclass(frozen=True)
class InList:
    operand: Column | Literal
    values: tuple[str | float, ...]
    negated: bool


@dataclass(frozen=True)
class IsNull:
    operand: Column | Literal
    negated: bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Compare | InList | IsNull | BoolOp | Not


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                self._fail(f"unexpected character {text[pos:].lstrip()[:1]!r}", pos)
            kind = match.lastgroup or ""
            value, start = match.group(kind), match.start(kind)
            if kind == "name" and value.lower() in _KEYWORDS:
                kind, value = "keyword", value.lower()
            self.tokens.append((kind, value, start))
            pos = match.end()
        self.index = 0
        self.depth = 0

    def _fail(self, message: str, pos: int | None = None):
        where = f" at position {pos + 1}" if pos is not None else " at the end"
        raise UsageError(f"--where: {message}{where}: {self.text[:80]!r}")

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _accept(self, kind: str, value: str | None = None) -> bool:
        token = self._peek()
        if token and token[0] == kind and (value is None or token[1] == value):
            self.index += 1
            return True
        return False

    def _expect(self, kind: str, value: str, what: str) -> None:
        if not self._accept(kind, value):
            token = self._peek()
            self._fail(f"expected {what}", token[2] if token else None)

    def parse(self) -> Node:
        node = self._or()
        token = self._peek()
        if token:
            self._fail(f"unexpected {token[1]!r}", token[2])
        return node

    def _or(self) -> Node:
        parts = [self._and()]
        while self._accept("keyword", "or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def _and(self) -> Node:
        parts = [self._not()]
        while self._accept("keyword", "and"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def _not(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self._fail(f"nested deeper than {MAX_DEPTH} levels", self._position())
        try:
            if self._accept("keyword", "not"):
                return Not(self._not())
            return self._atom()
        finally:
            self.depth -= 1

    def _position(self) -> int | None:
        token = self._peek()
        return token[2] if token else None

    def _atom(self) -> Node:
        if self._accept("punct", "("):
            node = self._or()
            self._expect("punct", ")", "')'")
            return node
        left = self._value()
        token = self._peek()
        if token and token[0] == "op":
            self.index += 1
            return Compare(left, token[1], self._value())
        if self._accept("keyword", "is"):
            negated = self._accept("keyword", "not")
            self._expect("keyword", "null", "'null' after 'is'")
            return IsNull(left, negated)
        negated = self._accept("keyword", "not")
        if self._accept("keyword", "in"):
            self._expect("punct", "(", "'(' after 'in'")
            values = [self._literal()]
            while self._accept("punct", ","):
                values.append(self._literal())
            self._expect("punct", ")", "')' to close the list")
            return InList(left, tuple(values), negated)
        self._fail("expected a comparison (=, !=, <, <=, >, >=, in, is null)", self._position())

    def _literal(self) -> str | float:
        value = self._value()
        if not isinstance(value, Literal):
            self._fail("expected a 'text' or number literal in the list", self._position())
        return value.value

    def _value(self) -> Column | Literal:
        token = self._peek()
        if token is None:
            self._fail("expected a column name or a value")
        kind, text, pos = token
        self.index += 1
        if kind == "number":
            return Literal(float(text))
        if kind == "string":
            return Literal(text[1:-1].replace("''", "'"))
        if kind == "quoted":
            return Column(text[1:-1].replace('""', '"'))
        if kind == "name":
            return Column(text)
        self._fail(f"expected a column name or a value, got {text!r}", pos)


def parse_where(text: str) -> Node:
    """Parse a filter; a syntax error names the position."""
    if len(text) > MAX_LENGTH:
        raise UsageError(f"--where is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise UsageError("--where is empty")
    return _Parser(text).parse()


def columns_of(node: Node) -> list[str]:
    """The column names an expression reads, in order of first use."""
    found: list[str] = []

    def visit(item: object) -> None:
        if isinstance(item, Column) and item.name not in found:
            found.append(item.name)
        elif isinstance(item, Compare):
            visit(item.left)
            visit(item.right)
        elif isinstance(item, InList | IsNull):
            visit(item.operand)
        elif isinstance(item, BoolOp):
            for part in item.parts:
                visit(part)
        elif isinstance(item, Not):
            visit(item.part)

    visit(node)
    return found


def rename(node: Node, mapping: Mapping[str, str]) -> Node:
    """The same expression with column names replaced (names resolved against a header)."""

    def fix(item):
        if isinstance(item, Column):
            return Column(mapping.get(item.name, item.name))
        if isinstance(item, Compare):
            return Compare(fix(item.left), item.op, fix(item.right))
        if isinstance(item, InList):
            return InList(fix(item.operand), item.values, item.negated)
        if isinstance(item, IsNull):
            return IsNull(fix(item.operand), item.negated)
        if isinstance(item, BoolOp):
            return BoolOp(item.op, tuple(fix(p) for p in item.parts))
        if isinstance(item, Not):
            return Not(fix(item.part))
        return item

    return fix(node)


def evaluate(node: Node, columns: Mapping[str, pa.Array], n: int) -> np.ndarray:
    """Rows where the expression is true (unknown counts as false)."""
    true, _ = _truth(node, columns, n)
    return true


def _truth(node: Node, columns: Mapping[str, pa.Array], n: int) -> Truth:
    if isinstance(node, BoolOp):
        parts = [_truth(p, columns, n) for p in node.parts]
        trues, falses = [p[0] for p in parts], [p[1] for p in parts]
        if node.op == "and":
            return np.logical_and.reduce(trues), np.logical_or.reduce(falses)
        return np.logical_or.reduce(trues), np.logical_and.reduce(falses)
    if isinstance(node, Not):
        true, false = _truth(node.part, columns, n)
        return false, true
    if isinstance(node, IsNull):
        null = _nulls(node.operand, columns, n)
        return (~null, null) if node.negated else (null, ~null)
    if isinstance(node, InList):
        return _in_list(node, columns, n)
    return _compare(node, columns, n)


def _nulls(operand: Column | Literal, columns: Mapping[str, pa.Array], n: int) -> np.ndarray:
    if isinstance(operand, Literal):
        return np.zeros(n, dtype=bool)
    return columns[operand.name].is_null().to_numpy(zero_copy_only=False)


def _is_numeric(arr: pa.Array) -> bool:
    return pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)


def _as_numbers(operand: Column | Literal, columns, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, known) as float64."""
    if isinstance(operand, Literal):
        if isinstance(operand.value, float):
            return np.full(n, operand.value), np.ones(n, dtype=bool)
        try:
            return np.full(n, float(operand.value)), np.ones(n, dtype=bool)
        except ValueError:
            return np.zeros(n), np.zeros(n, dtype=bool)
    parsed = parse_numbers(columns[operand.name])
    return parsed.values, parsed.valid


def _as_text(operand: Column | Literal, columns) -> pa.Array | pa.Scalar:
    if isinstance(operand, Literal):
        value = operand.value
        if isinstance(value, float) and value.is_integer():
            value = str(int(value))
        return pa.scalar(str(value), pa.string())
    arr = columns[operand.name]
    return arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())


def _numeric_context(left, right, columns) -> bool:
    sides = (left, right)
    if any(isinstance(s, Literal) and isinstance(s.value, float) for s in sides):
        return True
    return all(isinstance(s, Column) and _is_numeric(columns[s.name]) for s in sides)


def _compare(node: Compare, columns, n: int) -> Truth:
    op = _OPS[node.op]
    if _numeric_context(node.left, node.right, columns):
        a, known_a = _as_numbers(node.left, columns, n)
        b, known_b = _as_numbers(node.right, columns, n)
        known = known_a & known_b
        result = op(a, b)
        return known & result, known & ~result
    result = _PC_OPS[op](_as_text(node.left, columns), _as_text(node.right, columns))
    if isinstance(result, pa.Scalar):
        value = result.as_py()
        return np.full(n, value is True), np.full(n, value is False)
    true = result.fill_null(False).to_numpy(zero_copy_only=False)
    false = pc.invert(result).fill_null(False).to_numpy(zero_copy_only=False)
    if isinstance(node.left, Column) and isinstance(node.right, Column):
        # Two columns: where both hold numbers they compare as numbers, in CSV text as in a
        # typed Parquet column (`10 > 9`, never "10" < "9").
        a, known_a = _as_numbers(node.left, columns, n)
        b, known_b = _as_numbers(node.right, columns, n)
        both = known_a & known_b
        if both.any():
            numeric = op(a, b)
            true, false = np.where(both, numeric, true), np.where(both, ~numeric, false)
    return true, false


def _in_list(node: InList, columns, n: int) -> Truth:
    numbers = [v for v in node.values if isinstance(v, float)]
    if numbers and len(numbers) == len(node.values):
        values, known = _as_numbers(node.operand, columns, n)
        hit = np.isin(values, numbers)
    else:
        texts = [
            str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in node.values
        ]
        text = _as_text(node.operand, columns)
        if isinstance(text, pa.Scalar):
            text = pa.array([text.as_py()] * n, pa.string())
        known = ~text.is_null().to_numpy(zero_copy_only=False)
        hit = pc.is_in(text, value_set=pa.array(texts, pa.string())).to_numpy(zero_copy_only=False)
    true, false = known & hit, known & ~hit
    return (false, true) if node.negated else (true, false)
