"""What each statement kind may hold: the checker's half of the one table of kinds.

The kinds themselves and their roles are `compiler.runtime.kinds` (the generated validators
need them); this module adds, per kind, the items it accepts and the items it must have.
`SPECS` has an entry for every `Kind` (a test checks it, and that the grammar's KIND terminal
lists exactly these words).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from compiler import nodes as n
from compiler.runtime.kinds import ROLES, Kind, Role


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    allowed: tuple[type, ...]  # the item types a statement of this kind accepts
    required: tuple[type, ...]  # the ones it must have

    @property
    def role(self) -> Role:
        return ROLES[self.kind]


def _spec(kind: Kind, allowed: tuple[type, ...], required: tuple[type, ...]) -> KindSpec:
    return KindSpec(kind, (*allowed, n.Note), required)


SPECS: Final[Mapping[Kind, KindSpec]] = MappingProxyType(
    {
        spec.kind: spec
        for spec in (
            _spec(Kind.GATE, (n.When,), (n.When,)),
            _spec(Kind.SITUATION, (n.When, n.Excuses), (n.When,)),
            _spec(Kind.EXCLUSION, (n.When, n.Overrides), (n.When, n.Overrides)),
            _spec(Kind.OUTCOME, (n.Grants, n.Effects, n.When), (n.Grants,)),
            _spec(Kind.SCOPE, (n.Covers,), (n.Covers,)),
            _spec(
                Kind.DEADLINE,
                (n.Within, n.Extend, n.NoRollover, n.Actors, n.Task, n.When),
                (n.Within,),
            ),
            _spec(Kind.PROCEDURE, (n.Step, n.Within, n.NoRollover, n.Actors, n.Task), (n.Step,)),
            _spec(
                Kind.DUTY,
                (n.Actors, n.Task, n.Every, n.Require, n.When, n.Within, n.NoRollover),
                (n.Actors,),
            ),
            _spec(Kind.REQUIREMENT, (n.Require, n.When, n.Actors, n.Task, n.Every), (n.Require,)),
            _spec(Kind.LIABILITY, (n.Actors, n.When), (n.Actors, n.When)),
            _spec(Kind.SANCTION, (n.Target, n.Penalties), (n.Target, n.Penalties)),
            _spec(Kind.RESPONSIBILITY, (n.Actors, n.Role), (n.Role,)),
            _spec(Kind.FORM, (n.Field,), (n.Field,)),
        )
    }
)
# A procedure's step takes these items.
STEP_ITEMS: Final[tuple[type, ...]] = (
    n.Actors,
    n.Task,
    n.Within,
    n.Extend,
    n.NoRollover,
    n.When,
    n.Note,
)
# Items a statement (or step) may hold once: join conditions with and/or instead.
SINGLE_ITEMS: Final[tuple[type, ...]] = (
    n.When,
    n.Require,
    n.Overrides,
    n.Excuses,
    n.Within,
    n.Extend,
    n.NoRollover,
    n.Target,
    n.Every,
    n.Task,
)
# The enum whose members an item names.
ENUM_OF_ITEM: Final[Mapping[type, str]] = MappingProxyType(
    {n.Grants: "relief", n.Effects: "effect", n.Penalties: "penalty"}
)
TARGETS: Final = ("individual", "unit")
