"""One exception hierarchy: every exception class defined under compiler/ derives from
PolicycError, whose one definition is in the runtime (standard library only)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import compiler
from compiler.errors import PolicycError
from compiler.runtime import errors as runtime_errors


def compiler_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.walk_packages(compiler.__path__, "compiler.")]
    return [compiler, *(importlib.import_module(name) for name in sorted(names))]


def defined_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined (not imported) in a module of the compiler."""
    return {
        f"{module.__name__}.{name}": cls
        for module in compiler_modules()
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == module.__name__
    }


def test_every_exception_class_derives_from_the_root() -> None:
    found = defined_exceptions()
    # The hierarchy's members as of writing, so that the search cannot silently find nothing.
    assert {
        "compiler.cli.UsageError",
        "compiler.model.ClauseError",
        "compiler.sources.SourceError",
        "compiler.sources.CitationSyntaxError",
        "compiler.skeleton.SkeletonError",
        "compiler.examples._BudgetSpent",
        "compiler.runtime.cli.InputError",
        "compiler.runtime.records.RecordError",
        "compiler.runtime.values.FactError",
        "compiler.runtime.timelimits.CalendarNotCovered",
        "compiler.runtime.timelimits.CalendarDataError",
    } <= set(found)
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, PolicycError))
    assert outside == []


def test_the_root_is_defined_once_in_the_runtime() -> None:
    assert PolicycError is runtime_errors.PolicycError
    assert PolicycError.__bases__ == (Exception,)
    assert [name for name, cls in defined_exceptions().items() if cls is PolicycError] == [
        "compiler.runtime.errors.PolicycError"
    ]


def test_value_errors_stay_value_errors() -> None:
    """Callers catch some of these as ValueError (bad values while searching for examples, a
    citation that does not parse): the root is added beside that base, not instead of it."""
    found = defined_exceptions()
    for name in (
        "compiler.model.ClauseError",
        "compiler.sources.CitationSyntaxError",
        "compiler.runtime.records.RecordError",
        "compiler.runtime.values.FactError",
        "compiler.runtime.timelimits.CalendarNotCovered",
        "compiler.runtime.timelimits.CalendarDataError",
    ):
        assert issubclass(found[name], ValueError), name
