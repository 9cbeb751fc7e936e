"""Every diagnostic code, registered once: its id, its one meaning and its severity.

A `Diagnostic` is made from one of these objects, never from a string, so that a code cannot
be misspelt, reused for a second meaning, or given a severity that disagrees with its letter.
The README's table of codes is checked against `CODES` by tests/test_codes.py.

Families: E0xx input and syntax, E1xx names and structure, E2xx types, E3xx sources,
citations and quotes, E4xx policy tests, W5xx consistency between policies (warnings).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Severity(StrEnum):
    # A StrEnum, so that the value renders and serialises as the plain word.
    ERROR = "error"
    WARNING = "warning"


_LETTER = {Severity.ERROR: "E", Severity.WARNING: "W"}


@dataclass(frozen=True)
class Code:
    id: str  # "E101": the letter says the severity, the first digit the family
    title: str  # the one meaning of the code, as the README lists it
    severity: Severity

    def __post_init__(self) -> None:
        # Checked at import time: a bad registration fails every test run, not one output.
        if not re.fullmatch(r"[EW]\d{3}", self.id) or self.id[0] != _LETTER[self.severity]:
            raise ValueError(f"code {self.id!r} does not fit severity {self.severity}")

    def __str__(self) -> str:
        return self.id

    def __reduce__(self) -> tuple[object, tuple[str]]:
        # Pickled (a diagnostic from a worker process) as its id: read back, it is the
        # registered code itself, which the CLI compares by identity.
        return _registered, (self.id,)


_REGISTRY: dict[str, Code] = {}


def _registered(id: str) -> Code:
    return _REGISTRY[id]


def _register(id: str, title: str, severity: Severity = Severity.ERROR) -> Code:
    if id in _REGISTRY:
        raise ValueError(f"code {id} is registered twice")
    code = Code(id, title, severity)
    _REGISTRY[id] = code
    return code


# ---------------------------------------------------------------- E0xx input and syntax

E000 = _register("E000", "a file or directory cannot be read or written")
E001 = _register("E001", "the file is not valid UTF-8")
E002 = _register("E002", "unexpected character")
E003 = _register("E003", "the file ends in the middle of a statement")
E004 = _register("E004", "unexpected token")
E005 = _register("E005", "a string is not closed on its line")
E006 = _register("E006", "an invisible character that can hide or reorder text")
E007 = _register("E007", "a path on the command line that names no policy file")
E010 = _register("E010", "a date that is not on the calendar")
E011 = _register("E011", "a time limit that is not a whole number")
E012 = _register("E012", "a day of the month outside 1–31")
E013 = _register("E013", "a time limit longer than the language accepts")
E014 = _register("E014", "an expression nested too deeply")
E015 = _register("E015", "a policy file larger than the language accepts")

# ---------------------------------------------------------------- E1xx names and structure

E100 = _register("E100", "a name is declared twice")
E101 = _register("E101", "unknown name")
E102 = _register("E102", "unknown actor")
E103 = _register("E103", "a value that is not a member of its enum")
E104 = _register("E104", "precedence over a rule that is not a situation of the policy")
E105 = _register("E105", "tests for an unknown policy")
E106 = _register("E106", "a second policy header in one file")
E107 = _register("E107", "a rule outside a policy file")
E108 = _register("E108", "a policy without a title")
E109 = _register("E109", "a policy with gates, situations or exclusions but no decision")
E110 = _register("E110", "an item that has no meaning in this statement")
E111 = _register("E111", "a required item is missing")
E112 = _register("E112", "an item given more than once")
E113 = _register("E113", "names where quoted descriptions are expected")
E114 = _register("E114", "an extension of a time limit that is not there")
E115 = _register("E115", "a period excluded from a limit not counted in days or workdays")
E116 = _register("E116", "an excuse of a rule that is not a liability of the policy")
E117 = _register("E117", "an opt-out of the holiday roll-over beside no limit that rolls over")
E118 = _register("E118", "an opt-out of the holiday roll-over without a reason")
E119 = _register("E119", "a reserved policy id")
E120 = _register("E120", "a fact related to something that is not a shared (concept) fact")
E121 = _register("E121", "facts whose relations to shared facts form a cycle")
E122 = _register("E122", "a name declared in another policy's file")

# ---------------------------------------------------------------- E2xx types

E201 = _register("E201", "a value of the wrong type")
E202 = _register("E202", "an operation on values of incompatible types")
E203 = _register("E203", "unknown function")
E204 = _register("E204", "a test gives a fact a value of the wrong type")
E205 = _register("E205", "a fact related to a shared fact of another type")

# ---------------------------------------------------------------- E3xx sources, citations, quotes

E301 = _register("E301", "the official text is missing or unreadable")
E302 = _register("E302", "the official text does not match its sha256")
E303 = _register("E303", "a citation that cannot be read")
E304 = _register("E304", "an ambiguous citation")
E305 = _register("E305", "a citation of a clause the text does not have")
E306 = _register("E306", "a quote that is not in the cited clause")

# ---------------------------------------------------------------- E4xx policy tests

E401 = _register("E401", "a test names an unknown time limit")
E402 = _register("E402", "a due-date check that does not apply to the time limit")
E403 = _register("E403", "a test case that expects nothing")
E404 = _register("E404", "an expected outcome for a policy that decides nothing")
E405 = _register("E405", "holds/fails of an unknown rule or of one without a condition")
E406 = _register("E406", "an excluded period that ends before it starts")
E407 = _register("E407", "an exemption check of a rule that is not a liability of the policy")
E408 = _register("E408", "a record check of a name that is neither a time limit nor a checked rule")

# ---------------------------------------------------------------- W0xx input

# A file in policies/ that is empty or holds only comments: most often a save that went wrong,
# and its jurisdiction would leave the build without a word.
W001 = _register("W001", "a policy file that declares nothing", Severity.WARNING)

# ---------------------------------------------------------------- W5xx consistency between policies

# Emitted by `policyc check` from compiler/conflicts/internal.py (within one document).
W501 = _register(
    "W501",
    "rules with different outcomes can hold at once with no stated precedence",
    Severity.WARNING,
)

CODES: Mapping[str, Code] = MappingProxyType(_REGISTRY)

# ---------------------------------------------------------------- stages

INPUT_AND_SYNTAX: frozenset[Code] = frozenset(
    code for id, code in _REGISTRY.items() if id.startswith("E0")
)
"""What reading and parsing the files find (E0xx), before any name, type or citation is
checked."""

STOPS_CHECK: frozenset[Code] = INPUT_AND_SYNTAX - {E007}
"""The codes after which checking stops when any file has one (`diagnostics.syntax_stage`): a
file that could not be read (E000) or is not UTF-8, does not parse, or holds a value the
language cannot read.  The input and syntax errors are then reported alone: the names of a
file that was not read or did not parse are unknown everywhere else, and each use of them would
be one more error, burying the one that matters (an unreadable vocabulary.policy was one E000
and hundreds of E101s).  E007 is not one of them: a path named on the command line that names
no policy file is a usage error, with its own exit code (2 where it is all there is)."""

SYNTAX: frozenset[Code] = STOPS_CHECK - {E000}
"""The parse-stage codes among them, which a report names as "syntax errors"
(`diagnostics.skipped`)."""
