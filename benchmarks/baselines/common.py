"""What the two hand-written baselines share: reading a record's values, three-valued logic,
working days, the messages of the record checks, and the relief decision.

Plain Python, standard library only, written by hand from docs/language.md ("Meaning") and
the docstring of compiler/runtime/checks.py; it imports nothing from `compiler`.  It is a
baseline for speed, not a second source of truth: benchmarks/sidebyside.py checks that its
output equals the generated package's on every record it times.

Limits of the baseline (the benchmark's records keep within them): numbers are JSON integers;
dates lie in the years of the official working-day calendar (no provisional years); a value
of the wrong type raises ValueError with a short message, not the package's wording.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
ONE_DAY = timedelta(days=1)
ROLLOVER_LAW = "民法典 第二百零三条"

# A three-valued value is a pair (value, needs): value True, False, or None when unknown, and
# needs the facts an unknown value waits for (empty when known).
Tri = tuple[bool | None, frozenset[str]]
NONE: frozenset[str] = frozenset()
TRUE: Tri = (True, NONE)
FALSE: Tri = (False, NONE)


# ---------------------------------------------------------------- the policy's version


def version(policy: str) -> dict[str, str]:
    """The content hashes a decision carries (its audit trail): the policy file, the shared
    vocabulary files (every policies/*.policy that is not a policy: concepts, vocabulary),
    and the official text."""
    policies = ROOT / "policies"
    shared = hashlib.sha256()
    for path in sorted(policies.glob("*.policy")):
        if path.stem in ("concepts", "vocabulary"):
            shared.update(path.name.encode() + b"\0" + path.read_bytes())
    return {
        "policy_sha256": hashlib.sha256((policies / f"{policy}.policy").read_bytes()).hexdigest(),
        "source_sha256": hashlib.sha256(
            (policies / "sources" / f"{policy}.txt").read_bytes()
        ).hexdigest(),
        "vocabulary_sha256": shared.hexdigest(),
    }


# ---------------------------------------------------------------- reading a record


def read_facts(
    raw: dict[str, object], types: dict[str, str], members: Mapping[str, tuple[str, ...]]
) -> dict[str, object]:
    """The record's values by type: bool, int and enum members as they are, dates as `date`,
    a date-time as `datetime` (or `date` when only the day is given); null is the same as
    absent."""
    facts: dict[str, object] = {}
    for name, value in raw.items():
        kind = types.get(name)
        if kind is None:
            raise ValueError(f"unknown fact {name!r}")
        if value is None:
            continue
        if kind == "bool":
            if value is not True and value is not False:
                raise ValueError(f"{name!r} is true or false")
            facts[name] = value
        elif kind == "enum":
            if value not in members[name]:
                raise ValueError(f"{name!r} is one of {', '.join(members[name])}")
            facts[name] = value
        elif kind == "int":
            if type(value) is not int:
                raise ValueError(f"{name!r} is a whole number")
            facts[name] = value
        elif kind == "date":
            if not isinstance(value, str) or len(value) != 10 or value[4] != "-":
                raise ValueError(f"{name!r} is a date YYYY-MM-DD")
            facts[name] = date.fromisoformat(value)
        elif kind == "datetime":
            if not isinstance(value, str):
                raise ValueError(f"{name!r} is a date-time")
            if len(value) == 10:
                facts[name] = date.fromisoformat(value)
            elif len(value) in (16, 19) and value[10] in "T ":
                # Local time in China, to the minute or the second; no offsets.
                facts[name] = datetime.fromisoformat(value)
            else:
                raise ValueError(f"{name!r} is a date-time YYYY-MM-DDTHH:MM[:SS]")
        else:
            raise ValueError(f"{name!r}: the baseline does not read {kind} facts")
    return facts


def shown(value: object) -> str:
    """A value as a message shows it: as the record wrote it (True/False as Python prints
    them, a date-time to the minute, with seconds only when there are some)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def day_of(moment: date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


# ---------------------------------------------------------------- three-valued logic (Kleene)


def fact(facts: dict[str, object], name: str) -> Tri:
    value = facts.get(name)
    if value is None:
        return (None, frozenset((name,)))
    return (value, NONE)  # type: ignore[return-value]


def all_of(*terms: Tri) -> Tri:
    """Kleene's and: false if one is false, else unknown if one is (waiting for all their
    facts), else true."""
    needs: set[str] = set()
    for value, waits in terms:
        if value is False:
            return FALSE
        if value is None:
            needs |= waits
    return (None, frozenset(needs)) if needs else TRUE


def any_of(*terms: Tri) -> Tri:
    needs: set[str] = set()
    for value, waits in terms:
        if value is True:
            return TRUE
        if value is None:
            needs |= waits
    return (None, frozenset(needs)) if needs else FALSE


def negate(term: Tri) -> Tri:
    value, needs = term
    return term if value is None else (not value, needs)


def known(facts: dict[str, object], *names: str) -> tuple[list[object], frozenset[str]]:
    """The values of `names`, and the names the record does not give (a comparison of an
    unknown value is unknown)."""
    values = [facts.get(name) for name in names]
    missing = frozenset(name for name, value in zip(names, values, strict=True) if value is None)
    return values, missing


# ---------------------------------------------------------------- working days

_CALENDAR = json.loads(
    (ROOT / "compiler" / "runtime" / "data" / "cn_workdays.json").read_text(encoding="utf-8")
)
FIRST_YEAR, LAST_YEAR = _CALENDAR["covered_years"]
DAYS_OFF = {date.fromisoformat(d) for year in _CALENDAR["years"].values() for d in year["days_off"]}
EXTRA_WORKDAYS = {
    date.fromisoformat(d) for year in _CALENDAR["years"].values() for d in year["extra_workdays"]
}


def is_workday(day: date) -> bool:
    """China's official calendar: Monday to Friday unless a holiday, and the weekend days the
    State Council made working days (调休上班)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day} is outside the official calendar ({FIRST_YEAR}-{LAST_YEAR})")
    if day in EXTRA_WORKDAYS:
        return True
    if day in DAYS_OFF:
        return False
    return day.weekday() < 5


def add_workdays(start: date, count: int) -> date:
    """The `count`-th working day after `start`: the start day is not counted (民法典
    第二百零一条)."""
    day = start
    while count:
        day += ONE_DAY
        if is_workday(day):
            count -= 1
    return day


# ---------------------------------------------------------------- record checks


def result(
    rule: str, kind: str, clause: str, quote: str, status: str, message: str, needs: object = ()
) -> dict[str, object]:
    """One check's result, as the validators report it."""
    return {
        "rule": rule,
        "kind": kind,
        "clause": clause,
        "quote": quote,
        "status": status,
        "message": message,
        "needs": sorted(needs),  # type: ignore[call-overload]
    }


def given(facts: dict[str, object], reads: tuple[str, ...]) -> str:
    return ", ".join(f"{name} = {shown(facts[name])}" for name in reads if name in facts)


def check_rule(
    facts: dict[str, object],
    rule: tuple[str, str, str, str, tuple[str, ...]],
    when: Tri | None,
    require: Tri | None,
) -> dict[str, object]:
    """A requirement (or duty) is checked where its condition holds; a rule with no
    requirement (a liability, a duty with a condition only) holds where its condition does.
    A record that mentions none of the rule's facts is skipped; nothing is guessed."""
    name, kind, clause, quote, reads = rule
    if not any(read in facts for read in reads):
        return result(name, kind, clause, quote, "skipped", "the record mentions none of its facts")
    applies = when if when is not None else TRUE
    if applies[0] is False:
        return result(name, kind, clause, quote, "not_applicable", "its condition does not hold")
    if require is None:
        if applies[0] is None:
            return result(
                name, kind, clause, quote, "undetermined", "facts are missing", applies[1]
            )
        text = f"the failing it describes occurred ({given(facts, reads)})"
        return result(name, kind, clause, quote, "holds", text)
    if require[0] is True:
        text = f"the requirement is met ({given(facts, reads)})"
        return result(name, kind, clause, quote, "pass", text)
    if applies[0] is None or require[0] is None:
        needs = applies[1] | require[1]
        return result(name, kind, clause, quote, "undetermined", "facts are missing", needs)
    text = f"the requirement is not met ({given(facts, reads)})"
    return result(name, kind, clause, quote, "fail", text)


def check_days_limit(
    facts: dict[str, object],
    limit: tuple[str, str, str, tuple[str, ...]],
    when: Tri | None,
    count: int,
    unit: str,
    start_name: str,
    end_name: str,
) -> dict[str, object]:
    """A time limit in working days or calendar days: the start day is not counted; a count
    of days whose last day is a 法定休假日 ends on the next working day (民法典 第二百零三条)."""
    name, clause, quote, reads = limit
    kind = "time_limit"
    if not any(read in facts for read in reads):
        return result(name, kind, clause, quote, "skipped", "the record mentions none of its dates")
    applies = when if when is not None else TRUE
    if applies[0] is False:
        return result(name, kind, clause, quote, "not_applicable", "its condition does not hold")
    start, end = facts.get(start_name), facts.get(end_name)
    if start is None or end is None:
        missing = {n for n, v in ((start_name, start), (end_name, end)) if v is None}
        return result(
            name, kind, clause, quote, "undetermined", "facts are missing", missing | applies[1]
        )
    assert isinstance(start, date) and isinstance(end, date)
    if out_of_order(start, end):
        return out_of_order_result(limit, start_name, start, end_name, end)
    first = day_of(start)
    note = ""
    if unit == "workdays":
        due = add_workdays(first, count)
    else:
        counted = first + timedelta(days=count)
        due = counted
        while not is_workday(due):
            due += ONE_DAY
        if due != counted:
            note = (
                f" (moved from {counted.isoformat()}, a 法定休假日 on the official calendar, "
                f"to the next working day per {ROLLOVER_LAW})"
            )
    in_time = day_of(end) <= due
    text = f"{count} {unit} from {start_name} {shown(start)}: due {due.isoformat()}{note}"
    return limit_verdict(limit, applies, in_time, text, end_name, end)


def check_hours_limit(
    facts: dict[str, object],
    limit: tuple[str, str, str, tuple[str, ...]],
    when: Tri | None,
    hours: int,
    start_name: str,
    end_name: str,
) -> dict[str, object]:
    """A time limit in hours, between moments; a date alone is the whole day, any moment in
    it: in time when even the longest elapsed time allowed by the days is within the limit,
    late when even the shortest exceeds it, undetermined otherwise."""
    name, clause, quote, reads = limit
    kind = "time_limit"
    if not any(read in facts for read in reads):
        return result(name, kind, clause, quote, "skipped", "the record mentions none of its dates")
    applies = when if when is not None else TRUE
    if applies[0] is False:
        return result(name, kind, clause, quote, "not_applicable", "its condition does not hold")
    start, end = facts.get(start_name), facts.get(end_name)
    if start is None or end is None:
        missing = {n for n, v in ((start_name, start), (end_name, end)) if v is None}
        return result(
            name, kind, clause, quote, "undetermined", "facts are missing", missing | applies[1]
        )
    assert isinstance(start, date) and isinstance(end, date)
    if out_of_order(start, end):
        return out_of_order_result(limit, start_name, start, end_name, end)
    allowed = timedelta(hours=hours)
    start_timed, end_timed = isinstance(start, datetime), isinstance(end, datetime)
    start_first = start if start_timed else datetime(start.year, start.month, start.day)
    start_last = start_first if start_timed else start_first + ONE_DAY
    end_first = end if end_timed else datetime(end.year, end.month, end.day)
    end_last = end_first if end_timed else end_first + ONE_DAY
    if start_timed:
        due = shown(start + allowed)
    else:
        due = f"{hours} hours after a time on {start.isoformat()} not given"
    text = f"{hours} hours from {start_name} {shown(start)}: due {due}"
    if end_last - start_first <= allowed:
        in_time = True
    else:
        shortest = end_first - start_last
        if shortest > allowed or (shortest == allowed and not start_timed):
            in_time = False
        else:
            untimed = {n for n, t in ((start_name, start_timed), (end_name, end_timed)) if not t}
            return result(
                name,
                kind,
                clause,
                quote,
                "undetermined",
                f"{text}; the time of day of {', '.join(sorted(untimed))} is not given, and "
                f"{end_name} {shown(end)} may be in time or late",
                untimed | applies[1],
            )
    return limit_verdict(limit, applies, in_time, text, end_name, end)


def out_of_order(start: date, end: date) -> bool:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end < start
    return day_of(end) < day_of(start)


def out_of_order_result(
    limit: tuple[str, str, str, tuple[str, ...]],
    start_name: str,
    start: date,
    end_name: str,
    end: date,
) -> dict[str, object]:
    # An end before its start is not "in time": the record's dates are wrong, a finding.
    name, clause, quote, _ = limit
    text = (
        f"{end_name} {shown(end)} is before {start_name} {shown(start)}: the dates are out of order"
    )
    return result(name, "time_limit", clause, quote, "fail", text)


def limit_verdict(
    limit: tuple[str, str, str, tuple[str, ...]],
    applies: Tri,
    in_time: bool,
    text: str,
    end_name: str,
    end: date,
) -> dict[str, object]:
    name, clause, quote, _ = limit
    ended = f"{end_name} {shown(end)}"
    if in_time:
        # In time whether or not the limit applies.
        return result(name, "time_limit", clause, quote, "pass", f"{text}; {ended} is in time")
    if applies[0] is None:
        return result(
            name,
            "time_limit",
            clause,
            quote,
            "undetermined",
            f"{text}; whether the limit applies is unknown",
            applies[1],
        )
    return result(name, "time_limit", clause, quote, "fail", f"{text}; {ended} is late")


# ---------------------------------------------------------------- the relief decision

# A rule of the decision: (name, kind, clause, quote).
DecisionRule = tuple[str, str, str, str]


def rule_json(rule: DecisionRule, value: Tri, overridden_by: list[str]) -> dict[str, object]:
    name, kind, clause, quote = rule
    return {
        "rule": name,
        "kind": kind,
        "clause": clause,
        "quote": quote,
        "holds": value[0],
        "needs": sorted(value[1]),
        "overridden_by": overridden_by,
    }


def decide(
    policy: str,
    gates: list[tuple[DecisionRule, Tri]],
    situations: list[tuple[DecisionRule, Tri]],
    exclusions: list[tuple[DecisionRule, Tri]],
    order: dict[str, int],
    judgments: dict[str, tuple[str, str | None]],
    grants: Sequence[tuple[str, str, Tri, tuple[str, ...]]],
    version: dict[str, str],
) -> dict[str, object]:
    """The relief decision (docs/language.md, "Meaning") of a policy whose every exclusion
    overrides all its situations (both baselines' policies are so written).

    Excluded when an exclusion holds; not covered when a gate fails or every situation is
    false; applies when a situation holds, no exclusion is still open and every gate holds;
    otherwise open, waiting for the facts of the open gates and exclusions, and of the open
    situations when none holds yet — needs_judgment when those are all judgments."""
    held_exclusions = [rule[0] for rule, value in exclusions if value[0] is True]
    rules = []
    for rule, value in [*gates, *situations, *exclusions]:
        overridden = held_exclusions if rule[1] == "situation" and value[0] is True else []
        rules.append((order[rule[0]], rule_json(rule, value, list(overridden))))
    rules.sort(key=lambda item: item[0])
    decided: list[dict[str, object]]
    needs: set[str] = set()
    outcome = ""
    if held_exclusions:
        outcome = "excluded"
        decided = [rule_json(r, v, []) for r, v in exclusions if v[0] is True]
    elif any(value[0] is False for _, value in gates):
        outcome = "not_covered"
        decided = [rule_json(r, v, []) for r, v in gates if v[0] is False]
    elif all(value[0] is False for _, value in situations):
        outcome, decided = "not_covered", []
    else:
        held = [(r, v) for r, v in situations if v[0] is True]
        decided = [rule_json(r, v, []) for r, v in held]
        open_gates = [v for _, v in gates if v[0] is None]
        open_exclusions = [v for _, v in exclusions if v[0] is None]
        if held and not open_gates and not open_exclusions:
            outcome = "applies"
        else:
            for value in open_gates + open_exclusions:
                needs |= value[1]
            if not held:
                for _, value in situations:
                    if value[0] is None:
                        needs |= value[1]
            only_judgments = all(name in judgments for name in needs)
            outcome = "needs_judgment" if only_judgments else "undetermined"
    granted: list[str] = []
    pending: list[dict[str, object]] = []
    if outcome == "applies":
        for name, clause, value, members in grants:
            if value[0] is True:
                granted += [g for g in members if g not in granted]
            elif value[0] is None:
                for grant in dict.fromkeys(members):
                    pending.append(
                        {
                            "grant": grant,
                            "outcome": name,
                            "clause": clause,
                            "needs": sorted(value[1]),
                        }
                    )
        pending = [p for p in pending if p["grant"] not in granted]
    return {
        "policy": policy,
        "outcome": outcome,
        "grants": granted,
        "pending_grants": pending,
        "exempts": [],  # no situation of these policies names the liabilities it excuses
        "not_exempted": [],
        "decided_by": decided,
        "missing": sorted(name for name in needs if name not in judgments),
        "judgments": [
            {"judgment": name, "label": judgments[name][0], "refers": judgments[name][1]}
            for name in sorted(needs)
            if name in judgments
        ],
        "rules": [json for _, json in rules],
        "version": dict(version),
    }
