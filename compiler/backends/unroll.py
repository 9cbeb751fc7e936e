"""The relief decision unrolled over one policy's rules, for the backends that write it out.

compiler/runtime/decision.py is the algorithm: it walks the rules of a policy at run time.
A policy's rules and its constant `defeats` relation (which exclusion overrides which
situation) are known when the validators are generated, so the Python drivers
(pydriver.py) and the SQL statements (sql.py) both write the decision as formulas over each
rule's three-valued value instead.  The formulas are built here, once, over an `Algebra` of
the backend's own: Python builds `Bool` trees and SQL builds text.  Both backends'
agreement tests compare the result with the runtime's algorithm on random records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar

from compiler import ir
from compiler.tables import overrides

B = TypeVar("B")


def defeats(exclusion: ir.Rule, situation: ir.Rule) -> bool:
    """Does `exclusion`, when it holds, override `situation`? (All situations, unless it
    names the ones it overrides.)"""
    targets = overrides(exclusion)
    return targets is None or situation.name in targets


@dataclass(frozen=True)
class Algebra(Generic[B]):
    """How a backend writes two-valued formulas, and how it reads a rule's value."""

    and_: Callable[..., B]
    or_: Callable[..., B]
    not_: Callable[[B], B]
    holds: Callable[[ir.Rule], B]  # the rule's condition is true
    fails: Callable[[ir.Rule], B]  # ... false
    open_: Callable[[ir.Rule], B]  # ... unknown
    # A flag given a name by the backend (SQL: a column of a stage, read back by name);
    # (what flag, the rule or "", its formula) -> what to read it as.
    name: Callable[[str, str, B], B] = lambda _flag, _rule, formula: formula


@dataclass(frozen=True)
class Unrolled(Generic[B]):
    """decision.decide's flags for one policy: per situation, per exclusion, and whole."""

    algebra: Algebra[B]
    situations: tuple[ir.Rule, ...]
    exclusions: tuple[ir.Rule, ...]
    live: dict[str, B]  # no exclusion that overrides it holds
    held: dict[str, B]  # live, and its condition holds
    possible: dict[str, B]  # live, and its condition not false
    open_exclusion: dict[str, B]  # unknown, and it may override a possible situation
    secure: dict[str, B]  # held, and no open exclusion may override it
    none_live: B  # no situation possible
    excluded: B
    failed: B
    applies: B
    # `_sparing`'s exclusions by (h, spared), `but` aside: made on first use.
    _sparings: dict[tuple[str, str], tuple[ir.Rule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @cached_property
    def defeating(self) -> frozenset[tuple[str, str]]:
        """(exclusion, situation) names where the exclusion overrides the situation: `defeats`
        asked once per pair (the flags below ask it for every triple of rules)."""
        return frozenset(
            (e.name, s.name) for e in self.exclusions for s in self.situations if defeats(e, s)
        )

    @cached_property
    def _overriding(self) -> dict[str, frozenset[str]]:
        """Per situation, the names of the exclusions that override it."""
        return {
            s.name: frozenset(e for e, t in self.defeating if t == s.name) for s in self.situations
        }

    def _sparing(self, h: ir.Rule, spared: ir.Rule) -> tuple[ir.Rule, ...]:
        """The exclusions that override `h` and not `spared`."""
        key = (h.name, spared.name)
        sparing = self._sparings.get(key)
        if sparing is None:
            overriding = self._overriding[h.name]
            others = self._overriding[spared.name]
            # Most pairs: every exclusion that overrides `h` overrides `spared` too (威海's
            # four override every situation), one subset test for the pair.
            sparing = self._sparings[key] = (
                ()
                if overriding <= others
                else tuple(
                    x for x in self.exclusions if x.name in overriding and x.name not in others
                )
            )
        return sparing

    def _unheld_or_sparing(self, h: ir.Rule, spared: ir.Rule, but: ir.Rule | None) -> B:
        """`h` is not held, or an open exclusion (other than `but`) may fall on `h` and spare
        `spared` (decision.py's `falls_sparing`): the terms both `matters` flags are made of,
        one for each pair of situations.  Where no exclusion spares (most pairs: 威海's four
        exclusions override every situation) it is `not held` alone, which is what
        `or_(x, or_())` folds to in every algebra, without the two calls: 1.0 of the
        15.5-15.9 ms that a policy's module, schema and SQL took (the 100-jurisdiction
        corpus; the same output)."""
        a = self.algebra
        not_held = a.not_(self.held[h.name])
        sparing = [x for x in self._sparing(h, spared) if x is not but]
        if not sparing:
            return not_held
        return a.or_(not_held, a.or_(*(a.open_(x) for x in sparing)))

    def situation_matters(self, o: ir.Rule) -> B:
        """Knowing the open situation `o` could change the decision."""
        return self.algebra.and_(*(self._unheld_or_sparing(h, o, None) for h in self.situations))

    def exclusion_matters(self, e: ir.Rule) -> B:
        """Knowing the open exclusion `e` could change the decision."""
        a = self.algebra
        return a.or_(
            *(
                a.and_(
                    self.possible[s.name],
                    *(
                        self._unheld_or_sparing(h, s, e)
                        for h in self.situations
                        # A situation `e` overrides too adds a true term to the `and`: none.
                        if h is not s and (e.name, h.name) not in self.defeating
                    ),
                )
                for s in self.situations
                if (e.name, s.name) in self.defeating
            )
        )


def unroll(
    a: Algebra[B], gates: list[ir.Rule], situations: list[ir.Rule], exclusions: list[ir.Rule]
) -> Unrolled[B]:
    """The decision's flags, in decision.decide's terms (see its docstring for each)."""
    live = {
        s.name: a.name(
            "live", s.name, a.not_(a.or_(*(a.holds(e) for e in exclusions if defeats(e, s))))
        )
        for s in situations
    }
    held = {s.name: a.name("held", s.name, a.and_(live[s.name], a.holds(s))) for s in situations}
    possible = {
        s.name: a.name("possible", s.name, a.and_(live[s.name], a.not_(a.fails(s))))
        for s in situations
    }
    open_exclusion = {
        e.name: a.name(
            "open",
            e.name,
            a.and_(a.open_(e), a.or_(*(possible[s.name] for s in situations if defeats(e, s)))),
        )
        for e in exclusions
    }
    secure = {
        s.name: a.name(
            "secure",
            s.name,
            a.and_(
                held[s.name],
                a.not_(a.or_(*(open_exclusion[e.name] for e in exclusions if defeats(e, s)))),
            ),
        )
        for s in situations
    }
    # No situation live and not failed: no situation possible (De Morgan).
    none_live = a.name("none_live", "", a.not_(a.or_(*(possible[s.name] for s in situations))))
    excluded = a.and_(
        a.or_(*(a.holds(e) for e in exclusions)),
        a.or_(*(a.holds(e) for e in exclusions if overrides(e) is None), none_live),
    )
    failed = a.or_(*(a.fails(g) for g in gates))
    applies = a.and_(
        a.or_(*(secure[s.name] for s in situations)),
        a.not_(a.or_(*(a.open_(g) for g in gates))),
    )
    return Unrolled(
        a,
        tuple(situations),
        tuple(exclusions),
        live,
        held,
        possible,
        open_exclusion,
        secure,
        none_live,
        excluded,
        failed,
        applies,
    )
