"""The statement kinds of the policy language and the part each plays in a policy's meaning.

This is the one table of kinds: the grammar's `KIND` terminal lists the same words (a test
checks it), the checker takes each kind's items from `compiler.kinds`, which is keyed by this
enum, and the runtime decides and checks by role.  It lives in the runtime (standard library
only) because the generated validators need it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Kind(StrEnum):
    """A statement kind, spelt as in the language."""

    GATE = "gate"
    SITUATION = "situation"
    EXCLUSION = "exclusion"
    OUTCOME = "outcome"
    SCOPE = "scope"
    DEADLINE = "deadline"
    PROCEDURE = "procedure"
    DUTY = "duty"
    REQUIREMENT = "requirement"
    LIABILITY = "liability"
    SANCTION = "sanction"
    RESPONSIBILITY = "responsibility"
    FORM = "form"


class Role(StrEnum):
    """What a kind of statement does in the policy's meaning."""

    DECISION = "decision"  # gates, situations and exclusions make the relief decision
    OUTCOME = "outcome"  # what the decision grants when it applies
    LIMIT = "limit"  # a time limit, checked on a record's dates
    CHECK = "check"  # a requirement, duty or liability, checked on a record's facts
    DESCRIPTION = "description"  # scope, sanctions, responsibility chains, forms: said, not run


ROLES: Final[Mapping[Kind, Role]] = MappingProxyType(
    {
        Kind.GATE: Role.DECISION,
        Kind.SITUATION: Role.DECISION,
        Kind.EXCLUSION: Role.DECISION,
        Kind.OUTCOME: Role.OUTCOME,
        Kind.SCOPE: Role.DESCRIPTION,
        Kind.DEADLINE: Role.LIMIT,
        Kind.PROCEDURE: Role.LIMIT,
        Kind.DUTY: Role.CHECK,
        Kind.REQUIREMENT: Role.CHECK,
        Kind.LIABILITY: Role.CHECK,
        Kind.SANCTION: Role.DESCRIPTION,
        Kind.RESPONSIBILITY: Role.DESCRIPTION,
        Kind.FORM: Role.DESCRIPTION,
    }
)


def of_role(role: Role) -> tuple[Kind, ...]:
    return tuple(kind for kind in Kind if ROLES[kind] is role)


DECISION_KINDS: Final = of_role(Role.DECISION)  # gate, situation, exclusion
CHECKED_KINDS: Final = of_role(Role.CHECK)  # duty, requirement, liability
