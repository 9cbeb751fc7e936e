"""The published site: a backend of the checked model (docs/architecture.md).

Generated pages are Markdown rendered from Jinja2 templates in `site_templates/`; MkDocs with
mkdocs-material turns them, with the hand-written pages in `docs/`, into a static site.  Each
page kind is one function from the IR to `Page`s and one template.
"""
