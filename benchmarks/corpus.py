"""Synthetic corpora of N jurisdictions, derived from the project's five real policies.

.venv/bin/python benchmarks/corpus.py N OUT [--seed S] [--site]

Writes OUT as a policy project (policies/*.policy, policies/sources/*.txt with SHA256SUMS,
the shared vocabulary.policy and concepts.policy copied as they are) holding N policies.
Jurisdiction i is a variant of real policy i mod 5 (taierzhuang, ningbo, …):

- renamed: the policy id becomes `<base><i:04d>` (taierzhuang0042), the policy's own
  declarations (facts, judgments, actors, enums, definitions) are renamed with it
  (taierzhuang_applicant → taierzhuang0042_applicant; an unprefixed one gets the prefix), and
  its official text is copied to sources/<new id>.txt (same bytes, so the recorded sha256
  holds).  The shared vocabulary and concepts stay shared, so the corpus exercises the
  cross-policy parts of the checker as the real project does;
- numbers varied: time limits (`within N unit`) and the numeric operands of comparisons
  (thresholds, percentages) move by a few units;
- situations varied: some situations that nothing else names are dropped, some are
  duplicated under a new name.

The policy tests (policies/cases/) are not copied: they pin the real policies' numbers.
With `--site`, OUT also gets what `policyc site` needs (`with_site`).
Deterministic: the same N and seed write byte-identical files.  Used by benchmarks/compile.py
and tests/test_corpus.py; every generated policy passes `policyc check`.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASES = ("taierzhuang", "ningbo", "lucheng", "weihai", "yuquan")
SHARED = ("vocabulary.policy", "concepts.policy")

# A policy file's text in pieces: strings and comments are kept as they are (labels and quotes
# are the documents' words: never renamed or varied); code is where ids and numbers stand.
_PIECES = re.compile(r'(?P<string>"(?:[^"\\\n]|\\.)*")|(?P<comment>#[^\n]*)|(?P<code>[^"#]+)')
_DECLARED = re.compile(r"^(?:fact|judgment|actor|enum|define)\s+([a-z][a-z0-9_]*)", re.MULTILINE)
_IDENT = re.compile(r"\b[a-z][a-z0-9_]*\b")
_WITHIN = re.compile(r"\bwithin(\s+)(\d+)(\s+)(workdays|days|hours|months|years)\b")
# A comparison's numeric operand: not a date (2020-08-01), not a decimal part.
_OPERAND = re.compile(r"(>=|<=|==|!=|>|<)(\s*)(\d+)(?![\d.\-])(%?)")
_SITUATION = re.compile(r"^situation\s+([a-z][a-z0-9_]*)\s", re.MULTILINE)


def _code_pieces(text: str) -> Iterator[tuple[str, bool]]:
    """(piece, is_code) for the whole text, in order."""
    position = 0
    for found in _PIECES.finditer(text):
        assert found.start() == position, f"unparsed text at offset {position}"
        position = found.end()
        yield found.group(), found.lastgroup == "code"
    assert position == len(text)


def _in_code(text: str, change: re.Pattern[str], replace: object) -> str:
    assert callable(replace)
    return "".join(
        change.sub(replace, piece) if is_code else piece for piece, is_code in _code_pieces(text)
    )


def _rename(text: str, base: str, new: str) -> str:
    declared = set(_DECLARED.findall(text))
    names = {
        name: (new + name[len(base) :] if name.startswith(base + "_") else f"{new}_{name}")
        for name in declared
    }
    names[base] = new

    def rename(found: re.Match[str]) -> str:
        return names.get(found.group(), found.group())

    renamed = _in_code(text, _IDENT, rename)
    # The official text's path is a string: the one string that changes with the id.
    return renamed.replace(f'"sources/{base}.txt"', f'"sources/{new}.txt"')


def _vary_numbers(text: str, rng: random.Random) -> str:
    def within(found: re.Match[str]) -> str:
        amount = max(1, int(found.group(2)) + rng.choice((-1, 0, 0, 1, 2)))
        return f"within{found.group(1)}{amount}{found.group(3)}{found.group(4)}"

    def operand(found: re.Match[str]) -> str:
        value = int(found.group(3))
        percent = found.group(4)
        step = max(1, value // 10)
        changed = max(0, value + rng.choice((-step, 0, step)))
        if percent:
            changed = min(changed, 100)
        return f"{found.group(1)}{found.group(2)}{changed}{percent}"

    return _in_code(_in_code(text, _WITHIN, within), _OPERAND, operand)


def _statement_blocks(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of each situation: its first line to its closing '}' line."""
    blocks = []
    for found in _SITUATION.finditer(text):
        close = text.find("\n}\n", found.start())
        body = text[text.find("\n", found.start()) : close + 1]
        following = re.search(r"^[a-z]", body, re.MULTILINE)
        if close < 0 or following is not None:
            continue  # a statement without a body: left as it is
        blocks.append((found.group(1), found.start(), close + 3))
    return blocks


def _vary_situations(text: str, rng: random.Random) -> str:
    blocks = _statement_blocks(text)
    pieces: list[str] = []
    position = 0
    kept = len(blocks)
    for name, start, end in blocks:
        pieces.append(text[position:start])
        block = text[start:end]
        position = end
        mentions = len(re.findall(rf"\b{re.escape(name)}\b", text))
        roll = rng.random()
        if roll < 0.15 and mentions == 1 and kept > 1:
            kept -= 1  # dropped: nothing else names it, and the policy keeps a situation
            continue
        pieces.append(block)
        if roll > 0.85:
            copy = re.sub(rf"^situation\s+{re.escape(name)}\b", f"situation {name}_again", block)
            pieces.append("\n" + copy)
    pieces.append(text[position:])
    return "".join(pieces)


def variant(base: str, index: int, seed: int) -> tuple[str, str]:
    """The id and text of jurisdiction `index`, a variant of the real policy `base`."""
    new = f"{base}{index:04d}"
    rng = random.Random(f"{seed}:{index}")
    text = (ROOT / "policies" / f"{base}.policy").read_text(encoding="utf-8")
    text = _vary_situations(text, rng)
    text = _vary_numbers(text, rng)
    return new, _rename(text, base, new)


def generate(count: int, out: Path, seed: int = 13) -> list[str]:
    """Write a project of `count` jurisdictions into `out` (replaced); their policy ids."""
    if out.exists():
        shutil.rmtree(out)
    policies = out / "policies"
    sources = policies / "sources"
    sources.mkdir(parents=True)
    for name in SHARED:
        shutil.copyfile(ROOT / "policies" / name, policies / name)
    ids = []
    sums = []
    for index in range(count):
        base = BASES[index % len(BASES)]
        new, text = variant(base, index, seed)
        (policies / f"{new}.policy").write_text(text, encoding="utf-8")
        official = (ROOT / "policies" / "sources" / f"{base}.txt").read_bytes()
        (sources / f"{new}.txt").write_bytes(official)
        sums.append(f"{hashlib.sha256(official).hexdigest()}  {new}.txt\n")
        ids.append(new)
    (sources / "SHA256SUMS").write_text("".join(sorted(sums, key=lambda s: s[66:])))
    return ids


def with_site(out: Path) -> None:
    """Make a generated project one `policyc site` builds: this checkout's mkdocs.yml, its hook
    named by its absolute path, and a home page of its own (the project's docs/ link the five
    real documents, which a corpus does not have)."""
    hook = ROOT / "compiler" / "backends" / "site" / "hook.py"
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("compiler/backends/site/hook.py", hook.as_posix())
    (out / "mkdocs.yml").write_text(config, encoding="utf-8")
    (out / "docs").mkdir(exist_ok=True)
    (out / "docs" / "index.md").write_text("# 首页\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="how many jurisdictions")
    parser.add_argument("out", type=Path, help="the project folder to write (replaced)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--site", action="store_true", help="ready for `policyc site` too")
    args = parser.parse_args()
    ids = generate(args.count, args.out, args.seed)
    if args.site:
        with_site(args.out)
    print(f"wrote {len(ids)} policies to {args.out}")


if __name__ == "__main__":
    main()
