"""The site's Markdown extensions as mkdocs.yml lists them, for the tests that render Markdown
as MkDocs does without building a site (test_site_lexer.py, test_site_prebuilt.py): one place
reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def extensions() -> tuple[list[str], dict[str, dict[str, Any]]]:
    """mkdocs.yml's Markdown extensions: their names in order, and each one's settings."""
    from mkdocs.utils.yaml import yaml_load

    with (ROOT / "mkdocs.yml").open("rb") as file:
        listed = yaml_load(file)["markdown_extensions"]
    names: list[str] = []
    configs: dict[str, dict[str, Any]] = {}
    for entry in listed:
        if isinstance(entry, str):
            names.append(entry)
            continue
        ((name, config),) = entry.items()
        names.append(name)
        configs[name] = dict(config)
    return names, configs
