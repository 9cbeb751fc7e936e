"""Semantic diffs of policy versions (`policyc diff OLD NEW`), for legal staff.

OLD and NEW are policy files or `REV:PATH` read from git; each is checked and lowered with the
project around it, and compared part by part (`part.Part`), each part built by one module:

- `text`: the official text, aligned clause by clause (added, removed, renumbered, reworded);
- `rules`: rules added, removed and changed, down to the condition, outcome, precedence,
  number or unit;
- `behaviour`: concrete cases decided differently by the two versions, verified by running both;
  due dates before and after for each changed time limit; and the verdict "no change in meaning"
  when the rules are equivalent, checked, not assumed.

`report` renders the parts (terminal text, coloured on a TTY only; Markdown; JSON) and gives the
exit code: 0 no change in meaning, 1 changes, 2 bad input.
"""
