"""The two escapes every backend's text goes through, against their definitions character by
character: `inert` (Markdown and HTML: the site's `text` filter, the conflict report, the
diff) and `js_string` (the decision pages' JavaScript).  Both are one `str.translate` for
speed; these definitions are the loops they replaced."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from compiler.backends.javascript import js_string
from compiler.inert import SYNTAX, inert

# Policy text: Chinese, every ASCII character, line terminators, controls, astral characters.
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("中文（一）“”、。\u2028\u2029\x00\x1f\x7f\r\n\t </<<//\U0001f600")),
        st.characters(max_codepoint=0x7F),
        st.characters(),
    ),
    max_size=60,
)


def inert_by_character(value: str) -> str:
    out = []
    for char in value:
        if char in SYNTAX:
            out.append(f"&#{ord(char)};")
        elif char in "\r\n":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def js_string_by_character(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "/" and out[-1] == "<":
            out.append("\\/")
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\u{{{code:x}}}")
    out.append('"')
    return "".join(out)


@given(TEXT)
def test_inert_is_its_definition(text: str) -> None:
    assert inert(text) == inert_by_character(text)


@given(TEXT)
def test_js_string_is_its_definition(text: str) -> None:
    assert js_string(text) == js_string_by_character(text)


def test_the_cases_that_matter() -> None:
    assert inert("a<b>&\n*") == "a&#60;b&#62;&#38; &#42;"
    assert inert(3) == "3"
    assert js_string('</script>"\\\n\u2028') == '"<\\/script>\\"\\\\\\n\\u2028"'
    assert js_string("<</") == '"<<\\/"'
    assert js_string("\U0001f600\x00") == '"\U0001f600\\u0000"'
