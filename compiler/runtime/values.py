"""Values, unknowns and typed facts.

A fact not given is *unknown*, never false.  An unknown value remembers which facts it waits
for, so that an undetermined decision can name exactly the facts still needed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Final

from .errors import PolicycError

UNITS: Final = ("workdays", "days", "hours", "months", "years")
# The units a period (公示期) can be left out of: a count of days.
DAY_UNITS: Final = ("workdays", "days")
# The types a time limit runs from and until: a day, or a moment (a date-time).
MOMENT_TYPES: Final = ("date", "datetime")
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# A local time in China: YYYY-MM-DDTHH:MM, seconds optional, a space allowed for the T (as
# spreadsheets write it), and the offset +08:00 allowed (it is China Standard Time, the only
# time policyc knows).  Any other offset is refused rather than converted: a record stamped in
# UTC or elsewhere is an export mistake more often than not, and its local day matters to
# working-day limits.
_LOCAL_DATETIME: Final = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:?\d{2})?", re.ASCII
)
_CHINA_OFFSETS: Final = ("+08:00", "+0800")
# Longer text than "2024-03-01T09:30:00+08:00" is never a date-time: refuse it before any regex.
_DATETIME_MAX: Final = 25


@dataclass(frozen=True, order=True)
class Duration:
    """An amount of a unit: workdays, days, hours, months or years."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


@dataclass(frozen=True)
class Unknown:
    """A value not yet known, and the facts it waits for."""

    needs: frozenset[str]


# A `datetime` fact holds a datetime, or a date when the record gives only the day: then the
# time of day is unknown and the value stands for the whole day (see checks.py, hours).
Known = bool | Decimal | date | Duration | str
Value = Known | Unknown


class FactError(PolicycError, ValueError):
    """A fact that cannot be used: an unknown name or a value of the wrong type."""


@dataclass(frozen=True)
class FactSpec:
    """A fact as a policy declares it: its type and, for an enum, the members allowed."""

    name: str
    type: str  # bool | int | money | ratio | date | datetime | duration | text | enum
    label: str
    members: tuple[str, ...] = ()  # enum members
    judgment: bool = False  # a judgment: a yes/no question only a person can answer
    refers: str | None = None  # the rule outside the document a judgment applies


def coerce(spec: FactSpec, raw: object) -> Known:
    """A JSON value -> the fact's typed value, or FactError saying what was expected."""
    return TYPES[spec.type].parse(spec, raw)


def coerce_all(specs: Mapping[str, FactSpec], raw: Mapping[str, object]) -> dict[str, Known]:
    """Typed facts; JSON null means 'not known', the same as leaving the fact out."""
    facts: dict[str, Known] = {}
    for name, value in raw.items():
        spec = specs.get(name)
        if spec is None:
            # The policy's own facts only: a fact of another policy is a mistake in the
            # record (the wrong export, a misspelling), not something to ignore.
            near = difflib.get_close_matches(name, sorted(specs), n=1, cutoff=0.6)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise FactError(f"unknown fact '{cut(name)}'{hint}")
        if value is not None:
            facts[name] = coerce(spec, value)
    return facts


Parser = Callable[[object], Known]


class Parsers(dict[str, Parser]):
    """Each fact's parser, with the names of the facts whose JSON value is already their
    typed value when it is a bool (`flags`): those are checked, not parsed."""

    flags: frozenset[str]
    converted: frozenset[str]  # every other fact


def parsers(specs: Mapping[str, FactSpec]) -> Parsers:
    """Each fact's own parser, for `coerce_with`: built once per policy (a generated module
    does it at import), so that a record's coercion is one call per value.  Each takes the
    common well-formed values directly and leaves everything else to `coerce` (the
    specification), which gives the same values and the same errors."""
    table = Parsers({name: _parser(spec) for name, spec in specs.items()})
    table.flags = frozenset(name for name, spec in specs.items() if spec.type == "bool")
    table.converted = frozenset(specs) - table.flags
    return table


# An int of fewer than 17 digits is within _number's bounds (at most 10^15 in magnitude
# after the point): Decimal(raw) is then exactly Decimal(str(raw)).
_INT_FAST: Final = 10**16


def _parser(spec: FactSpec) -> Parser:
    parse = TYPES[spec.type].parse

    def general(raw: object) -> Known:
        return parse(spec, raw)

    if spec.type == "bool":

        def as_bool(raw: object) -> Known:
            return raw if isinstance(raw, bool) else parse(spec, raw)

        return as_bool
    if spec.type in ("int", "money", "ratio"):

        def as_number(raw: object) -> Known:
            if type(raw) is int and -_INT_FAST < raw < _INT_FAST:
                return Decimal(raw)
            return parse(spec, raw)

        return as_number
    if spec.type == "enum":
        members = frozenset(spec.members)

        def as_member(raw: object) -> Known:
            return raw if isinstance(raw, str) and raw in members else parse(spec, raw)

        return as_member
    return general


def coerce_with(
    parsers: Mapping[str, Parser], specs: Mapping[str, FactSpec], raw: Mapping[str, object]
) -> dict[str, Known]:
    """`coerce_all(specs, raw)` by the parsers of `parsers(specs)`: the same facts, and the
    same error for the first bad item in the record's order."""
    if isinstance(parsers, Parsers):
        return _coerce_fast(parsers, specs, raw)
    facts: dict[str, Known] = {}
    for name, value in raw.items():
        parse = parsers.get(name)
        if parse is None:
            return coerce_all(specs, raw)  # raises: an unknown fact, with its suggestion
        if value is not None:
            facts[name] = parse(value)
    return facts


def _coerce_fast(
    parsers: Parsers, specs: Mapping[str, FactSpec], raw: Mapping[str, object]
) -> dict[str, Known]:
    # The known values in the record's order, bools kept as they are, the others parsed in
    # place (a parser is pure: the order it runs in does not change the values).  Anything
    # amiss, an unknown name or a value a parser refuses, and `coerce_all`, the
    # specification, gives the error of the first bad item in the record's order.
    if not raw.keys() <= parsers.keys():  # a null of an unknown name is refused too
        return coerce_all(specs, raw)
    facts: dict[str, Known] = {k: v for k, v in raw.items() if v is not None}  # type: ignore[misc]
    keys = facts.keys()
    try:
        for name in keys & parsers.flags:
            if facts[name].__class__ is not bool:
                return coerce_all(specs, raw)
        for name in keys & parsers.converted:
            facts[name] = parsers[name](facts[name])
    except Exception:  # the specification raises it again, for the first bad item
        return coerce_all(specs, raw)
    return facts


def to_json(value: Known) -> object:
    """A typed value back to the JSON form `coerce` accepts."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        # A float where it is the same number (every amount with 15 significant digits or
        # fewer); else its digits, which a float would cut (`5000.0000000000001` shown as
        # `5000.0` in the message of a cap of 5000 it exceeds).
        approx = float(value)
        return approx if Decimal(repr(approx)) == value else str(value)
    if isinstance(value, datetime):
        return datetime_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def datetime_text(moment: datetime) -> str:
    """YYYY-MM-DDTHH:MM, with :SS only when the seconds are not zero: as records write it."""
    return moment.isoformat(timespec="seconds" if moment.second else "minutes")


def parse_datetime(raw: object) -> datetime | date | None:
    """A local date-time, or a date alone (the time of day unknown); None if `raw` is neither.

    Raises FactError for a time zone other than China's, which is not a spelling mistake."""
    if not isinstance(raw, str) or len(raw) > _DATETIME_MAX:
        return None
    if _ISO_DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    match = _LOCAL_DATETIME.fullmatch(raw)
    if match is None:
        return None
    day, clock, offset = match.groups()
    if offset is not None and offset not in _CHINA_OFFSETS:
        raise FactError(
            f"{raw!r} has the time zone {offset}; times are China Standard Time (+08:00): "
            "give the local time, without an offset or with +08:00"
        )
    try:
        return datetime.fromisoformat(f"{day}T{clock}")
    except ValueError:  # a well-formed but impossible moment: 2024-02-30, 25:00
        return None


# ---------------------------------------------------------------- the table of value types


@dataclass(frozen=True)
class ValueType:
    """Everything policyc knows about one value type, in one place.

    The checker reads `numeric` and `ordered`; the runtime parses facts with `parse` (JSON)
    and `from_text` (CSV cells); the JSON Schema of records comes from `schema`; `python`
    names the class of its values, for the code generators."""

    name: str  # as written in the language
    python: str  # the Python class of its values: bool, Decimal, date, datetime, Duration, str
    numeric: bool  # a dimensionless number: mixes freely with int and ratio
    ordered: bool  # <, <=, >, >= compare two of its values
    parse: Callable[[FactSpec, object], Known]
    schema: Callable[[FactSpec], dict[str, object]]
    admits: Callable[[FactSpec, Known], bool]  # is a typed value one of this type's values?
    from_text: Callable[[str], object] = lambda text: text  # a CSV cell -> what `parse` takes
    # May an expression (a condition, a formula) use its values?  A date-time may be a date
    # alone (the whole day): comparing two would be three-valued on intervals, which no
    # condition of the five documents needs; it is the start or end of a time limit only.
    in_expressions: bool = True


def _parse_bool(spec: FactSpec, raw: object) -> Known:
    if isinstance(raw, bool):
        return raw
    raise FactError(f"'{spec.name}' is true or false, not {_shown(raw)}")


def _parse_number(spec: FactSpec, raw: object) -> Known:
    return _number(spec.name, spec.type, raw)


def _parse_date(spec: FactSpec, raw: object) -> Known:
    # Only YYYY-MM-DD: fromisoformat alone would also take 20240927 and 2024-W39-5.
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise FactError(f"'{spec.name}' is a date YYYY-MM-DD, not {_shown(raw)}")


def _parse_datetime(spec: FactSpec, raw: object) -> Known:
    try:
        value = parse_datetime(raw)
    except FactError as error:
        raise FactError(f"'{spec.name}': {error}") from None
    if value is None:
        raise FactError(
            f"'{spec.name}' is a date-time YYYY-MM-DDTHH:MM (seconds optional) or a date "
            f"YYYY-MM-DD, not {_shown(raw)}"
        )
    return value


def _parse_duration(spec: FactSpec, raw: object) -> Known:
    return _duration(spec.name, raw)


def _parse_enum(spec: FactSpec, raw: object) -> Known:
    if isinstance(raw, str) and raw in spec.members:
        return raw
    raise FactError(f"'{spec.name}' is one of {', '.join(spec.members)}; not {_shown(raw)}")


def _parse_text(spec: FactSpec, raw: object) -> Known:
    if isinstance(raw, str):
        return raw
    raise FactError(f"'{spec.name}' is text, not {_shown(raw)}")


def _is_bool(_spec: FactSpec, value: Known) -> bool:
    return isinstance(value, bool)


def _is_number(spec: FactSpec, value: Known) -> bool:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        return False
    return spec.type != "int" or value == value.to_integral_value()


def _is_date(_spec: FactSpec, value: Known) -> bool:
    return isinstance(value, date)


def _is_datetime(_spec: FactSpec, value: Known) -> bool:
    # A date alone is a datetime fact whose time of day the record does not give.
    return isinstance(value, date)


def _is_duration(_spec: FactSpec, value: Known) -> bool:
    # `3 months`: a whole, non-negative amount of a known unit.
    return isinstance(value, Duration) and value.amount >= 0 and value.unit in UNITS


def _is_text(_spec: FactSpec, value: Known) -> bool:
    return isinstance(value, str)


def _is_member(spec: FactSpec, value: Known) -> bool:
    return isinstance(value, str) and value in spec.members


def _bool_cell(text: str) -> object:
    return {"true": True, "false": False}.get(text.strip().lower(), text)


# How a number may be written as text, for the runtime and the records' JSON Schema alike (one
# pattern each, so the two agree exactly): ASCII digits, an optional minus, a decimal point;
# no exponent, no underscores, no plus sign, no padding, no full-width or other digits, which
# Decimal() would otherwise take silently.  (A CSV cell is stripped first: spreadsheets pad.)
_INT_TEXT: Final = r"-?[0-9]+"
_NUMBER_TEXT: Final = r"-?[0-9]+(\.[0-9]+)?"
_RATIO_TEXT: Final = r"-?[0-9]+(\.[0-9]+)?%?"
_NUMBER_PATTERNS: Final = {
    kind: re.compile(text, re.ASCII)
    for kind, text in (("int", _INT_TEXT), ("money", _NUMBER_TEXT), ("ratio", _RATIO_TEXT))
}
# A duration as text: a whole number of a unit (the language's units), at most six digits.
_DURATION_TEXT: Final = rf"([0-9]{{1,6}}) ({'|'.join(UNITS)})"
_DURATION_PATTERN: Final = re.compile(_DURATION_TEXT, re.ASCII)


def _schema(body: dict[str, object]) -> Callable[[FactSpec], dict[str, object]]:
    return lambda _spec: body


def _number_schema(pattern: str) -> Callable[[FactSpec], dict[str, object]]:
    return _schema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": f"^{pattern}$"}]})


def _strip_cell(text: str) -> object:
    return text.strip()


_DATE_SCHEMA: Final[dict[str, object]] = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}$",
    "format": "date",
}
_DATETIME_SCHEMA: Final[dict[str, object]] = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?(\+08:?00)?)?$",
    "description": (
        "local time in China, YYYY-MM-DDTHH:MM[:SS] (+08:00 allowed, no other offset); "
        "a date alone means the time of day is unknown"
    ),
}
_DURATION_SCHEMA: Final[dict[str, object]] = {"type": "string", "pattern": f"^{_DURATION_TEXT}$"}


def _enum_schema(spec: FactSpec) -> dict[str, object]:
    return {"enum": list(spec.members)}


TYPES: Final[Mapping[str, ValueType]] = MappingProxyType(
    {
        t.name: t
        for t in (
            ValueType(
                name="bool",
                python="bool",
                numeric=False,
                ordered=False,
                parse=_parse_bool,
                schema=_schema({"type": "boolean"}),
                admits=_is_bool,
                from_text=_bool_cell,
            ),
            ValueType(
                name="int",
                python="Decimal",
                numeric=True,
                ordered=True,
                parse=_parse_number,
                schema=_schema(
                    {
                        "anyOf": [
                            {"type": "integer"},
                            {"type": "string", "pattern": f"^{_INT_TEXT}$"},
                        ]
                    }
                ),
                admits=_is_number,
                from_text=_strip_cell,
            ),
            ValueType(
                name="money",
                python="Decimal",
                numeric=False,
                ordered=True,
                parse=_parse_number,
                schema=_number_schema(_NUMBER_TEXT),
                admits=_is_number,
                from_text=_strip_cell,
            ),
            ValueType(
                name="ratio",
                python="Decimal",
                numeric=True,
                ordered=True,
                parse=_parse_number,
                schema=_number_schema(_RATIO_TEXT),
                admits=_is_number,
                from_text=_strip_cell,
            ),
            ValueType(
                name="date",
                python="date",
                numeric=False,
                ordered=True,
                parse=_parse_date,
                schema=_schema(_DATE_SCHEMA),
                admits=_is_date,
            ),
            ValueType(
                name="datetime",
                python="datetime",
                numeric=False,
                ordered=False,
                parse=_parse_datetime,
                schema=_schema(_DATETIME_SCHEMA),
                admits=_is_datetime,
                in_expressions=False,
            ),
            ValueType(
                name="duration",
                python="Duration",
                numeric=False,
                ordered=True,
                parse=_parse_duration,
                schema=_schema(_DURATION_SCHEMA),
                admits=_is_duration,
            ),
            ValueType(
                name="text",
                python="str",
                numeric=False,
                ordered=False,
                parse=_parse_text,
                schema=_schema({"type": "string"}),
                admits=_is_text,
            ),
            ValueType(
                name="enum",
                python="str",
                numeric=False,
                ordered=False,
                parse=_parse_enum,
                schema=_enum_schema,
                admits=_is_member,
            ),
        )
    }
)
NUMERIC: Final = frozenset(t.name for t in TYPES.values() if t.numeric)  # int, ratio
ORDERED: Final = frozenset(t.name for t in TYPES.values() if t.ordered)


# A message shows at most this many characters of a value it refuses: a 10 MB value is
# named by its start and its length, never repeated whole on stderr or in a report.
SHOWN_MAX: Final = 80


def cut(text: str) -> str:
    """`text`, or its first SHOWN_MAX characters and how long it was."""
    if len(text) <= SHOWN_MAX:
        return text
    return f"{text[:SHOWN_MAX]}… ({len(text):,} characters)"


def _shown(raw: object) -> str:
    if isinstance(raw, float):
        return repr(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw.bit_length() > 4 * SHOWN_MAX:
        # str() of a 5,000-digit int is refused (ValueError) or slow: its size says enough.
        return f"an integer of about {raw.bit_length() * 3 // 10:,} digits"
    try:
        return cut(json.dumps(raw, ensure_ascii=False))
    except (TypeError, ValueError):
        return cut(repr(raw))


def _fail(name: str, kind: str, raw: object) -> FactError:
    article = "an" if kind[0] in "aeiou" else "a"
    return FactError(f"'{name}' is {article} {kind}, not {_shown(raw)}")


_MAX_EXPONENT: Final = 15


def _number(name: str, kind: str, raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise _fail(name, kind, raw)
    if isinstance(raw, str) and not _NUMBER_PATTERNS[kind].fullmatch(raw):
        raise _fail(name, kind, raw)
    text = str(raw)
    percent = kind == "ratio" and isinstance(raw, str) and text.endswith("%")
    try:
        value = Decimal(text[:-1] if percent else text)
    except InvalidOperation:
        raise _fail(name, kind, raw) from None
    # Bounded: a 20-byte "1e999999999" made later arithmetic run for ever (a CPU denial of
    # service), a 5,000-digit number likewise.  No count, sum or ratio of a case reaches 10^15.
    if (
        not value.is_finite()
        or (not -_MAX_EXPONENT <= value.adjusted() <= _MAX_EXPONENT and value != 0)
        or (kind == "int" and value != value.to_integral_value())
    ):
        raise _fail(name, kind, raw)
    return value / 100 if percent else value


def _duration(name: str, raw: object) -> Duration:
    match = _DURATION_PATTERN.fullmatch(raw) if isinstance(raw, str) else None
    if match is not None:
        return Duration(int(match.group(1)), match.group(2))
    raise FactError(f"'{name}' is a duration such as \"3 months\", not {_shown(raw)}")
