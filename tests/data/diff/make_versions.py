"""Writes the versions of 台儿庄 made for tests/test_diff.py (NOT real policy): each folder
holds taierzhuang.policy and sources/taierzhuang.txt, the project's files with the smallest edit
that shows one kind of change.  Run from the project root: python tests/data/diff/make_versions.py
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
POLICY = (ROOT / "policies" / "taierzhuang.policy").read_text(encoding="utf-8")
TEXT = (ROOT / "policies" / "sources" / "taierzhuang.txt").read_text(encoding="utf-8")

BANNER = (
    "# MADE FOR THE TESTS (tests/test_diff.py), NOT REAL POLICY: policies/taierzhuang.policy\n"
    "# and its official text with one deliberate edit ({what}).  Written by\n"
    "# tests/data/diff/make_versions.py; never cite it.\n\n"
)


def one(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def renumbered(policy: str, text: str) -> tuple[str, str]:
    # 四（二） and 四（三） change places in the official text, each taking the other's number;
    # the policy follows the numbers, renames a gate, swaps the operands of an `or`, and moves
    # the outcome before the exclusion.  Nothing decides differently.
    second = re.search(r"（二）建立健全社会救助容错纠错机制.*?\n\n(?=（三）)", text, re.S)
    third = re.search(r"\(三\)建立健全社会救助宣传机制.*?\n\n", text, re.S) or re.search(
        r"（三）建立健全社会救助宣传机制.*?\n\n", text, re.S
    )
    assert second and third
    a, b = second.group(0), third.group(0)
    moved_b = re.sub(r"^[（(]三[）)]", "（二）", b)
    moved_a = a.replace("（二）", "（三）", 1)
    text = text.replace(a + b, moved_b + moved_a)
    policy = policy.replace("at 四（二）", "at 四（@）").replace("at 四（三）", "at 四（二）")
    policy = policy.replace("at 四（@）", "at 四（三）")
    policy = one(policy, "gate public_spirit at", "gate acting_in_public_spirit at")
    policy = one(
        policy,
        "when taierzhuang_concealed_household or taierzhuang_concealed_changes",
        "when taierzhuang_concealed_changes or taierzhuang_concealed_household",
    )
    outcome = re.search(r"outcome tolerance at .*?\n}\n\n", policy, re.S)
    assert outcome
    policy = policy.replace(outcome.group(0), "")
    policy = one(
        policy, "exclusion not_tolerable at", outcome.group(0) + "exclusion not_tolerable at"
    )
    return policy, text


def limit(policy: str, text: str) -> tuple[str, str]:
    text = one(text, "压缩到12个工作日内", "压缩到15个工作日内")
    policy = one(policy, '时限压缩到12个工作日内"', '时限压缩到15个工作日内"')
    policy = one(
        policy,
        "within 12 workdays from taierzhuang_application_date",
        "within 15 workdays from taierzhuang_application_date",
    )
    return policy, text


def exclusion(policy: str, text: str) -> tuple[str, str]:
    found = re.search(r"exclusion not_tolerable at .*?\n}\n\n", policy, re.S)
    assert found
    return policy.replace(found.group(0), ""), text


def boundary(policy: str, text: str) -> tuple[str, str]:
    old = "require inclusive_days(public_notice_start_date, public_notice_end_date) >= 3"
    return one(policy, old, old.replace(">= 3", "> 3")), text


def quote(policy: str, text: str) -> tuple[str, str]:
    return one(
        policy,
        'gate public_spirit at 四（二） "对秉持公心"',
        'gate public_spirit at 四（二） "秉持公心"',
    ), text


def text_only(policy: str, text: str) -> tuple[str, str]:
    # A sentence added to 一（二） after everything the policy quotes from it.
    return policy, one(text, "及时拨付资金。", "及时拨付资金，确保资金安全。")


VERSIONS: dict[str, tuple[str, Callable[[str, str], tuple[str, str]]]] = {
    "renumbered": ("四（二）与四（三）互换位置和编号，改名、换序", renumbered),
    "limit": ("二（三）审核审批时限 12 个工作日改为 15 个工作日", limit),
    "exclusion": ("删去四（二）的排除规则 not_tolerable", exclusion),
    "boundary": ("公示期 >= 3 改为 > 3", boundary),
    "quote": ("public_spirit 的引文改写，仍在原文中", quote),
    "text_only": ("只改官方文本：一（二）句末加一句", text_only),
}


def main() -> None:
    for name, (what, edit) in VERSIONS.items():
        policy, text = edit(POLICY, TEXT)
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        policy = re.sub(r'sha256 "[0-9a-f]{64}"', f'sha256 "{digest}"', policy, count=1)
        folder = HERE / name
        (folder / "sources").mkdir(parents=True, exist_ok=True)
        (folder / "sources" / "taierzhuang.txt").write_bytes(data)
        (folder / "taierzhuang.policy").write_text(
            BANNER.format(what=what) + policy, encoding="utf-8"
        )


if __name__ == "__main__":
    main()
