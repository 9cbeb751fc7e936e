"""The runtime of policy decisions and record checks: standard library only.

These modules are used by the compiler (with conditions evaluated by the reference
interpreter) and copied verbatim into every generated validator package (with conditions
compiled to Python), so that both share one definition of values, facts, precedence,
time limits, record checks and reports — and differ only in how conditions are evaluated.
"""
