"""The comparison tables (`compiler.comparison`) as Markdown, CSV and JSON.

`policyc tables` writes these without the site; the site's table pages offer the same CSV and
JSON bytes as downloads (`compiler.backends.site.tables`), each page of a table cut into pages
those of the part it shows.

Cell text, in Markdown and CSV: each entry's text followed by its citation in 〔〕 (and its note
in （）); the citation is left out when the previous cell of the same row cites the same clause
of the same document (a time limit's count and unit come from the clause its task cites). An
empty cell shows its status: 未规定 (silent); a cell with the other role's rules shows
【相反规定】 or 【需人工判断】 before them.

CSV: UTF-8 with a BOM (so that Excel opens the Chinese as Chinese), CRLF line ends (RFC 4180),
a header row (the rows' heading, then each column's label), one line per table row.

JSON (one table; `policyc tables --format json` prints a list of them):

    {
      "id": "timelimits", "title": "…", "description": "…", "row_header": "城市",
      "columns": [{"key": "task", "label": "事项"}, …],
      "rows": [
        {"key": "yuquan.yuquan_dibao_approval", "label": "玉泉区",
         "cells": {"<column key>": {
            "policy": "yuquan", "status": "stated|silent|opposite|needs_judgment",
            "status_label": "有规定|未规定|相反规定|需人工判断",
            "entries": [{"text": "…", "rule": "…", "note": "…",
                         "clause": {"citation": "第四条（一）1", "anchor": "a4-i1-p1",
                                    "page": "documents/yuquan.md", "quote": "…"}}]}}}
      ]
    }

Keys sorted, `ensure_ascii=False`, two-space indent, a final newline: stable across runs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final

from compiler.backends.site.anchors import clause_anchor, document_page
from compiler.comparison import STATUS_LABELS, Cell, Entry, Row, Status, Table
from compiler.jsontext import indented

FORMATS = ("markdown", "csv", "json")
SUFFIX = {"markdown": "md", "csv": "csv", "json": "json"}
BOM = "\ufeff"


def cell_parts(cells: Sequence[Cell]) -> list[tuple[str, list[tuple[Entry, bool]]]]:
    """For each cell of a row: its prefix (the status when it is not STATED) and its entries,
    each with whether its citation is shown: always, except for a cell of one entry whose
    clause the last non-empty cell before (also of one entry) cites already (a limit's count
    and unit)."""
    out: list[tuple[str, list[tuple[Entry, bool]]]] = []
    previous: tuple[str, str] | None = None
    for cell in cells:
        prefix = "" if cell.status is Status.STATED else STATUS_LABELS[cell.status]
        single = len(cell.entries) == 1
        shown = []
        for entry in cell.entries:
            key = (cell.policy, entry.clause.citation)
            shown.append((entry, not (single and key == previous)))
        if cell.entries:  # an empty cell between two of one clause does not repeat it
            previous = (cell.policy, cell.entries[0].clause.citation) if single else None
        out.append((prefix, shown))
    return out


def _plain(prefix: str, entries: list[tuple[Entry, bool]], joiner: str) -> str:
    parts = []
    for entry, cite in entries:
        text = entry.text
        if cite:
            text += f"〔{entry.clause.citation}〕"
        if entry.note:
            text += f"（{entry.note}）"
        parts.append(text)
    if not parts:
        return prefix
    if prefix:
        return f"【{prefix}】" + joiner + joiner.join(parts)
    return joiner.join(parts)


# ---------------------------------------------------------------- Markdown (CLI)


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(table: Table) -> str:
    """A table as GitHub-flavoured Markdown (citations as text: the CLI has no site)."""
    head = [table.row_header, *(c.label for c in table.columns)]
    lines = [f"## {table.title}", "", table.description, ""]
    lines.append("| " + " | ".join(_md_escape(h) for h in head) + " |")
    lines.append("|" + " --- |" * len(head))
    for row in table.rows:
        texts = [
            "<br>".join(_md_escape(x) for x in _plain(prefix, entries, "\n").split("\n"))
            for prefix, entries in cell_parts(row.cells)
        ]
        lines.append("| " + " | ".join([_md_escape(row.label), *texts]) + " |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- CSV


def to_csv(table: Table) -> bytes:
    """A table as CSV, UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([table.row_header, *(c.label for c in table.columns)])
    for row in table.rows:
        texts = [_plain(prefix, entries, "\n") for prefix, entries in cell_parts(row.cells)]
        writer.writerow([row.label, *texts])
    return (BOM + buffer.getvalue()).encode("utf-8")


# ---------------------------------------------------------------- JSON


def _entry_json(entry: Entry, policy: str) -> dict[str, Any]:
    return {
        "text": entry.text,
        "rule": entry.rule,
        "note": entry.note,
        "clause": {
            "citation": entry.clause.citation,
            "anchor": clause_anchor(entry.clause.clause),
            "page": document_page(policy),
            "quote": entry.clause.quote,
        },
    }


def table_json(table: Table) -> dict[str, Any]:
    return {
        "id": table.id,
        "title": table.title,
        "description": table.description,
        "row_header": table.row_header,
        "columns": [{"key": c.key, "label": c.label} for c in table.columns],
        "rows": [_row_json(table, row) for row in table.rows],
    }


def _row_json(table: Table, row: Row) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "cells": {
            column.key: {
                "policy": cell.policy,
                "status": str(cell.status),
                "status_label": STATUS_LABELS[cell.status],
                "entries": [_entry_json(e, cell.policy) for e in cell.entries],
            }
            for column, cell in zip(table.columns, row.cells, strict=True)
        },
    }


def dumps(value: Any) -> str:
    """`value` as the tables' JSON files hold it: keys sorted, two-space indent, UTF-8
    unescaped, a final newline (`jsontext.indented`: orjson where installed, else json)."""
    return indented(value).decode("utf-8")


# How `dumps` writes the top-level "rows" of a table without any, and how it indents an item of
# that list (two levels of two spaces).
_NO_ROWS: Final = b'"rows": []'
_ROW_INDENT: Final = b"\n    "


def to_json(table: Table) -> bytes:
    """`dumps(table_json(table))` as UTF-8, each row made and written on its own: a province's
    time limits table is 58 MB of JSON, and its whole `table_json` at once held some 300 MB
    more while the site was generated (benchmarks/README.md, the thirtieth round)."""
    head, tail = indented(table_json(replace(table, rows=()))).split(_NO_ROWS, 1)
    out = io.BytesIO()
    out.write(head)
    out.write(b'"rows": [')
    for number, row in enumerate(table.rows):
        # A row as `dumps` writes it inside the list: indented two levels (JSON strings hold no
        # raw line breaks), after a comma but the first, and without the final line break.
        text = indented(_row_json(table, row))[:-1].replace(b"\n", _ROW_INDENT)
        out.write((_ROW_INDENT if number == 0 else b"," + _ROW_INDENT) + text)
    out.write(b"\n  ]" if table.rows else b"]")
    out.write(tail)
    return out.getvalue()


def render(table: Table, fmt: str) -> bytes:
    """A table in one of FORMATS, as the bytes `policyc tables --out` writes."""
    match fmt:
        case "markdown":
            return to_markdown(table).encode("utf-8")
        case "csv":
            return to_csv(table)
        case "json":
            return to_json(table)
    raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
