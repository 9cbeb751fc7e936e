"""policyc: a compiler for Chinese social-assistance (社会救助) policy documents.

The pipeline, one module per pass: parser (text -> nodes) -> sources (official text ->
clause tree) -> check (names, types, citations, quotes, coverage) -> interpret (the meaning)
-> graph and backends.
"""

__version__ = "0.1.0"
