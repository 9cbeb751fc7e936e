"""Cross-city conflict reports (`policyc conflicts`): where the cities' rules disagree.

The report is a list of sections (`section.Section`), each built by one module from the IR and
verified by running the rules, never by comparing text:

- `decisions`: which decisions are comparable and why; per shared concept, which cities grant
  relief, exclude, or are silent; per comparable pair, minimal witness cases decided differently;
- `quantities`: the same procedure or quantity side by side, with due dates for one start date,
  and boundaries drawn differently (≥ against >, 日 against 工作日, 含 against 不含公示期);
- `internal`: within one document, rules with different outcomes that can hold at once with no
  stated precedence (also `policyc check` warning W501).

`report` assembles the sections and renders them (terminal text, Markdown, JSON); every witness
can be written out as a policy test (`--emit-tests`).
"""
