"""The comparison tables' pages: `tables/index.md` (对照表, the list) and `tables/<id>.md`, each
with its CSV and JSON as downloads (the same bytes `policyc tables --out` writes, for a table
that is not cut).

Most tables have a column per city, and a row per concept or actor that some city names, so
their pages grew with the square of the jurisdictions: the duties table was 3.65 MB of HTML at
200 jurisdictions and 27 MB at 600 (487 rows by 200 cities, 99 % of the cells 未规定 at 200).
A table of more than TABLE_COLUMNS cities is cut into pages of that many cities each
(`tables/<id>.md`, then `tables/<id>-2.md`, …) linking one another, and a page shows only the
rows on which one of its cities says something (a row all 未规定 there is left out).  Each such
page has downloads of its own, the CSV and JSON of what it shows, named and titled as the part
they are (`tables/<id>-<n>.csv`, its JSON's id `<id>-<n>`, its title "…（第 n 页）"): the whole
table's grew with the square too (62 MB of downloads at 300 jurisdictions, 206 MB at 600,
benchmarks/README.md, the twenty-seventh round); `policyc tables --out DIR` writes the whole
tables.  The tables with a column per attribute (time limits, thresholds: a row per limit or
amount) grow with the jurisdictions alone and are not cut.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from operator import attrgetter
from typing import Any, Final

from compiler import ir
from compiler.backends import tables as render
from compiler.backends.site.anchors import clause_link
from compiler.backends.site.page import EXAMPLE_START, Page
from compiler.backends.site.prebuilt import Child, joined, line, link, paragraph
from compiler.backends.site.prebuilt import table as made_table
from compiler.comparison import TABLE_IDS, Row, Status, Table, tables
from compiler.inert import inert

INDEX = "tables/index.md"
# The most cities (columns) on one page of a table.
TABLE_COLUMNS: Final = 30


def page_path(table_id: str, part: int = 1) -> str:
    """The page of a table's `part`-th run of columns (counted from 1)."""
    return f"tables/{table_id}.md" if part == 1 else f"tables/{table_id}-{part}.md"


def _parts(program: ir.Program, table: Table) -> list[range]:
    """The table's columns, TABLE_COLUMNS cities to a page; one page for a table of fewer
    cities or whose columns are not cities."""
    count = len(table.columns)
    by_city = all(c.key in program.policies for c in table.columns)
    if count <= TABLE_COLUMNS or not by_city:
        return [range(count)]
    return [range(i, min(i + TABLE_COLUMNS, count)) for i in range(0, count, TABLE_COLUMNS)]


# What a cell says, and the statuses of cells that say something.
_STATUS: Final = attrgetter("status")
_SAYING: Final = tuple(status for status in Status if status is not Status.SILENT)


def _rows_of_parts(table: Table, parts: list[range]) -> list[list[Row]]:
    """For each part of a cut table (`_parts`), the rows on which one of its columns says
    something.  Found in one pass over each row's cells, the few that say something by
    `list.index`: read for each part, every cell was read by a generator expression, a third
    of generating a province's tables (the duties table is 7,207 rows of 3,000 cells at 3,000
    jurisdictions, 15,600 of which say something)."""
    part_of = [number for number, columns in enumerate(parts) for _ in columns]
    found: list[list[Row]] = [[] for _ in parts]
    for row in table.rows:
        statuses = list(map(_STATUS, row.cells))
        speaking: set[int] = set()
        for status in _SAYING:
            column = -1
            with suppress(ValueError):  # no cell (more) of this status
                while True:
                    column = statuses.index(status, column + 1)
                    speaking.add(part_of[column])
        for number in speaking:  # each part's rows stay in the table's order
            found[number].append(row)
    return found


def _part(table: Table, columns: range, number: int, rows: list[Row]) -> Table:
    """What the `number`-th page of a cut table shows: its `columns`, and its `rows`, those on
    which one of them says something (`_rows_of_parts`); named and titled as that part, for
    its downloads and heading."""
    return replace(
        table,
        id=f"{table.id}-{number}",
        title=f"{table.title}（第 {number} 页）",
        columns=tuple(table.columns[i] for i in columns),
        rows=tuple(replace(row, cells=tuple(row.cells[i] for i in columns)) for row in rows),
    )


def _context(program: ir.Program, table: Table, path: str) -> dict[str, Any]:
    """The table (or the part of it a page shows) as the template reads it: every value a
    plain string (escaped there by the `text` filter), every citation with its relative link;
    its downloads beside the page, by the table's (or the part's) id."""
    rows = []
    for row in table.rows:
        cells = []
        parts = render.cell_parts(row.cells)
        for cell, (prefix, entries) in zip(row.cells, parts, strict=True):
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
    columns = [column.label for column in table.columns]
    return {
        "table": {
            "id": table.id,
            "title": table.title,
            "description": table.description,
            "row_header": table.row_header,
            "columns": columns,
            "rows": rows,
            "block": _block(table.row_header, columns, rows),
        },
        "csv": f"{table.id}.csv",
        "json": f"{table.id}.json",
    }


def _block(row_header: str, columns: list[str], rows: list[dict[str, Any]]) -> str:
    """The table as one line of Markdown (prebuilt.py): its header, then a row per concept or
    actor, a cell per city: its status in italics, its entries one to a line, each with the
    clause it cites (a link) and its note."""
    head: list[list[Child]] = [[inert(label)] for label in [row_header, *columns]]
    body: list[list[list[Child]]] = [
        [[f"<strong>{inert(row['label'])}</strong>"], *(_cell(cell) for cell in row["cells"])]
        for row in rows
    ]
    return line(made_table(head, body))


def _cell(cell: dict[str, Any]) -> list[Child]:
    out: list[Child] = []
    if cell["status"]:
        out.append(f"<em>{inert(cell['status'])}</em>")
    for entry in cell["entries"]:
        if out:
            out.append("<br>")
        out.append(inert(entry["text"]))
        if entry["citation"]:
            out += [" ", link(entry["link"], f"〔{inert(entry['citation'])}〕")]
        if entry["note"]:
            out.append(f"（{inert(entry['note'])}）")
    return out


def _siblings(table: Table, parts: list[range], path: str) -> list[dict[str, Any]]:
    """The table's pages as each page links them: the cities each shows, and whether it is
    this one."""
    out = []
    for number, shown in enumerate(parts, 1):
        first, last = table.columns[shown[0]].label, table.columns[shown[-1]].label
        target = page_path(table.id, number)
        out.append(
            {
                "number": number,
                "cities": f"{first} 至 {last}" if first != last else first,
                "link": target.removeprefix("tables/"),
                "current": target == path,
            }
        )
    return out


def _pages_of(table: Table, parts: list[range], path: str) -> dict[str, Any]:
    """What a page says of the table's pages: `siblings` (none for a table of one page), and
    `pages_block`, the paragraph that links them, as one line of Markdown (prebuilt.py).

    As Markdown, that paragraph was two thirds of a table page's rendering at 3,000
    jurisdictions: a table of 80 pages links all 80 from each, and Markdown scanned the
    paragraph's whole text for the brackets of each link, once per link
    (`LinkInlineProcessor.getText`), so a table's pages took time as the cube of its pages."""
    if len(parts) == 1:
        return {"siblings": [], "pages_block": ""}
    siblings = _siblings(table, parts, path)
    listed: list[Child] = []
    for sibling in siblings:
        label = f"第 {sibling['number']} 页（{inert(sibling['cities'])}）"
        listed.append(
            f"<strong>{label}</strong>" if sibling["current"] else link(sibling["link"], label)
        )
    block = paragraph(
        f"本表共 {len(table.columns)} 个政策文件，按编号排列，分 {len(parts)} 页，"
        f"每页至多 {TABLE_COLUMNS} 个：",
        *joined(listed, " · "),
        "。每页只列出本页至少一地有规定（或作相反规定、需人工判断）的行；"
        "本页下载的 CSV 和 JSON 即本页所列的列和行。"
        "全表可用命令 <code>policyc tables --out 目录</code> 生成。",
    )
    return {"siblings": siblings, "pages_block": line(block)}


def pages(program: ir.Program) -> Iterator[Page]:
    """One page per table (a page per TABLE_COLUMNS cities of a cut one), in TABLE_IDS order,
    then the index of the tables.  Each table is made when its pages are, and let go before
    the next: at 3,000 jurisdictions the tables held 127 MB together while the pages were
    generated.  The index comes last, as it counts every table's rows and pages; the nav lists
    it first (`nav.members`)."""
    index: list[dict[str, Any]] = []
    cut = False
    for table_id in TABLE_IDS:
        [table] = tables(program, EXAMPLE_START, [table_id])
        parts = _parts(program, table)
        index.append(
            {
                "id": table.id,
                "title": table.title,
                "description": table.description,
                "rows": len(table.rows),
                "pages": len(parts),
            }
        )
        cut = cut or len(parts) > 1
        yield from _table_pages(program, table, parts)
        del table  # before the next is made
    yield Page(
        INDEX,
        "对照表",
        "tables.md.j2",
        # Some table is cut into pages, whose downloads are each page's own.
        {"index": index, "table": None, "cut": cut},
    )


def _table_pages(program: ir.Program, table: Table, parts: list[range]) -> Iterator[Page]:
    """The pages of one table, one per part (`_parts`), each with its downloads."""
    rows = _rows_of_parts(table, parts) if len(parts) > 1 else None  # None: one page, whole
    for number, shown in enumerate(parts, 1):
        path = page_path(table.id, number)
        part = table if rows is None else _part(table, shown, number, rows[number - 1])
        yield Page(
            path,
            # The nav lists a cut table's first page by the table's own title.
            table.title if number == 1 else part.title,
            "tables.md.j2",
            {
                "index": None,
                **_context(program, part, path),
                **_pages_of(table, parts, path),
            },
            {
                f"tables/{part.id}.csv": render.to_csv(part),
                f"tables/{part.id}.json": render.to_json(part),
            },
        )
