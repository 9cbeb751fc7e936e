"""Reading one side of a diff: a policy file, or `REV:PATH` read from git, checked and lowered
with the project around it.

The surroundings are the working tree's (the vocabulary, the concepts, the other policies):
two versions of one policy are checked against the same vocabulary, so that they differ only
in themselves (a version from before a fact was renamed in concepts.policy is a check error,
said plainly, rather than a diff of two vocabularies).  The official text a version names
(`source "sources/x.txt"`) is read beside it: relative to the folder holding the policy file,
from the same revision for `REV:PATH` (for a file under policies/ that is policies/, as
`policyc check` reads it).
"""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Callable
from pathlib import Path

from compiler.check import check
from compiler.diagnostics import Diagnostic
from compiler.diff.part import Version
from compiler.errors import PolicycError
from compiler.lower import lower
from compiler.parser import MAX_FILE_BYTES
from compiler.project import display_path, load_in_place
from compiler.runtime.values import cut
from compiler.sources import SourceDocument, SourceError, load_source, source_from_bytes

# Reads the official text a version names (`source "…"`); raises SourceError.
_SourceReader = Callable[[str], SourceDocument]


class BadVersion(PolicycError):
    """A version that cannot be read (no such file, a bad revision, no git): exit 2."""


class CheckFailed(PolicycError):
    """A version with check errors: the diagnostics are shown as `policyc check` shows them."""

    def __init__(self, spec: str, errors: tuple[Diagnostic, ...]) -> None:
        super().__init__(f"{cut(spec)} does not check: {len(errors)} error(s)")
        self.spec = spec
        self.errors = errors


def load_version(spec: str, root: Path) -> Version:
    """`spec` (a policy file, or REV:PATH with PATH relative to the project root) checked and
    lowered in the project at `root`."""
    root = root.resolve()
    shown, data, read_source = _reader(spec, root)
    loaded, policy_id = load_in_place(root, shown, data, read_source)
    model, diagnostics = check(loaded)
    errors = tuple(d for d in diagnostics if d.severity == "error")
    if errors or policy_id is None:
        raise CheckFailed(spec, errors)
    program = lower(model, root, loaded.texts)
    return Version(spec, program, program.policies[policy_id])


def load_versions(old: str, new: str, root: Path) -> tuple[Version, Version]:
    """Both sides; two different policies are refused: a diff compares versions of one."""
    before, after = load_version(old, root), load_version(new, root)
    if before.policy.id != after.policy.id:
        raise BadVersion(
            f"{cut(old)} is policy '{before.policy.id}' and {cut(new)} is policy "
            f"'{after.policy.id}': policyc diff compares two versions of one policy"
        )
    return before, after


def _reader(spec: str, root: Path) -> tuple[str, bytes, _SourceReader]:
    """The version's display name, its bytes, and how to read the official text it names."""
    if Path(spec).is_file() or ":" not in spec:
        path = Path(spec)
        try:
            with path.open("rb") as stream:
                data = stream.read(MAX_FILE_BYTES + 1)  # enough for the parser to refuse it
        except FileNotFoundError:
            raise BadVersion(f"{cut(spec)}: no such file (nor REV:PATH)") from None
        except OSError as error:
            raise BadVersion(f"{cut(spec)}: {error.strerror or error}") from None
        here = path.resolve().parent

        def from_file(source: str) -> SourceDocument:
            return load_source(here / source)

        return display_path(path, root), data, from_file
    revision, _, inside = spec.partition(":")
    inside = posixpath.normpath(inside.removeprefix("./"))
    data = _git_show(root, revision, inside, spec)
    folder = posixpath.dirname(inside)

    def from_git(source: str) -> SourceDocument:
        where = posixpath.normpath(posixpath.join(folder, source))
        shown = f"{revision}:{where}"
        try:
            return source_from_bytes(Path(shown), _git_show(root, revision, where, shown))
        except BadVersion as error:
            raise SourceError(Path(shown), str(error).removeprefix(f"{shown}: ")) from None

    return spec, data, from_git


def _git_show(root: Path, revision: str, inside: str, spec: str) -> bytes:
    """`git show REV:./PATH` run in the project root (PATH relative to it, not to the
    repository's top); git's own message when it refuses."""
    if not revision or not inside or revision.startswith("-"):
        raise BadVersion(f"{cut(spec)}: expected REV:PATH (e.g. HEAD~3:policies/ningbo.policy)")
    # `git show` of a folder lists it ("tree HEAD:./policies", the names), which was then
    # parsed as a policy: an E004 at `tree`.  What the path names is asked first.
    if _git(root, ["cat-file", "-t", f"{revision}:./{inside}"], spec).stdout.strip() == b"tree":
        raise BadVersion(
            f"{cut(spec)}: a folder, not a policy file; diff compares two versions of one "
            f"file (e.g. {cut(revision)}:{posixpath.join(inside, 'ningbo.policy')})"
        )
    done = _git(root, ["show", f"{revision}:./{inside}"], spec)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = said[0].removeprefix("fatal: ") if said else f"git exited {done.returncode}"
        raise BadVersion(f"{cut(spec)}: {reason}")
    return done.stdout


def has_revision(root: Path, revision: str) -> bool:
    """Whether git can read `revision` as a commit in the repository holding `root`: False
    where git cannot be run, `root` is in no repository, or the revision is not in it (a
    shallow clone, another project's repository)."""
    try:
        done = _git(root, ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], revision)
    except BadVersion:
        return False
    return done.returncode == 0


def _git(root: Path, arguments: list[str], spec: str) -> subprocess.CompletedProcess[bytes]:
    """`git ARGUMENTS` in the project root, its output captured; BadVersion when git cannot
    be run at all."""
    try:
        return subprocess.run(["git", *arguments], cwd=root, capture_output=True, check=False)
    except FileNotFoundError:
        raise BadVersion(f"{cut(spec)}: git is not installed, so REV:PATH cannot be read") from None
    except OSError as error:
        raise BadVersion(f"{cut(spec)}: cannot run git: {error.strerror or error}") from None
