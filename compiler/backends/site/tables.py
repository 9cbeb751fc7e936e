"""The comparison tables' pages: `tables/index.md` (对照表, the list) and `tables/<id>.md`, each
with its CSV and JSON as downloads (the same bytes `policyc tables --out` writes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler import ir
from compiler.backends import tables as render
from compiler.backends.site.anchors import clause_link
from compiler.backends.site.page import EXAMPLE_START, Page
from compiler.comparison import Table, tables

INDEX = "tables/index.md"


def page_path(table_id: str) -> str:
    return f"tables/{table_id}.md"


def _context(program: ir.Program, table: Table, path: str) -> dict[str, Any]:
    """The table as the template reads it: every value a plain string (escaped there by the
    `text` filter), every citation with its relative link."""
    rows = []
    for row in table.rows:
        cells = []
        for cell, (prefix, entries) in zip(row.cells, render.cell_parts(row.cells), strict=True):
            shown = []
            for entry, cite in entries:
                policy = program.policies[cell.policy]
                shown.append(
                    {
                        "text": entry.text,
                        "note": entry.note,
                        "citation": entry.clause.citation if cite else "",
                        "link": clause_link(policy.id, entry.clause.clause, path),
                    }
                )
            cells.append({"status": prefix, "entries": shown})
        rows.append({"label": row.label, "cells": cells})
    return {
        "table": {
            "id": table.id,
            "title": table.title,
            "description": table.description,
            "row_header": table.row_header,
            "columns": [c.label for c in table.columns],
            "rows": rows,
        },
        "csv": f"{table.id}.csv",
        "json": f"{table.id}.json",
    }


def pages(program: ir.Program) -> Iterator[Page]:
    """The index of the comparison tables, then one page per table, in TABLE_IDS order."""
    built = tables(program, EXAMPLE_START)
    yield Page(
        INDEX,
        "对照表",
        "tables.md.j2",
        {
            "index": [
                {"id": t.id, "title": t.title, "description": t.description, "rows": len(t.rows)}
                for t in built
            ],
            "table": None,
        },
    )
    for table in built:
        path = page_path(table.id)
        yield Page(
            path,
            table.title,
            "tables.md.j2",
            {"index": None, **_context(program, table, path)},
            {
                f"tables/{table.id}.csv": render.to_csv(table),
                f"tables/{table.id}.json": render.to_json(table),
            },
        )
