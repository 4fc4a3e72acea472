"""Docstring drift: detection and quick fix, per documentation style."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kairos_lsp.docparams import Documented, Drift, documented, drift, fix

GOOGLE = '''"""Add two numbers.

    Args:
        a (int): the first
            number, over two lines.
        b: the second.

    Returns:
        The sum.
    """'''

NUMPY = '''"""Add two numbers.

    Parameters
    ----------
    a : int
        The first.
    b : int, optional
        The second.

    Returns
    -------
    int
    """'''

SPHINX = '''"""Add two numbers.

    :param a: the first
        number.
    :type a: int
    :param int b: the second.
    :returns: the sum.
    """'''

JSDOC = """/**
     * Add two numbers.
     *
     * @param {number} a - the first.
     * @param {number} [b=0] - the second,
     *   defaulted.
     * @returns {number} the sum.
     */"""

RUST = """/// Add two numbers.
    ///
    /// # Arguments
    ///
    /// * `a` - the first.
    /// * `b` - the second,
    ///   on two lines.
    ///
    /// # Returns
    ///
    /// The sum."""

ALL = {"google": GOOGLE, "numpy": NUMPY, "sphinx": SPHINX, "jsdoc": JSDOC, "rust": RUST}


def names(raw: str) -> list[str]:
    return [d.name for d in documented(raw)[1]]


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ALL)
def test_style_and_names_are_found(style):
    found = documented(ALL[style])
    assert found[0] == style
    assert [d.name for d in found[1]] == ["a", "b"]


FIRST_LINES = {
    "google": "a (int): the first",
    "numpy": "a : int",
    "sphinx": ":param a: the first",
    "jsdoc": "@param {number} a - the first.",
    "rust": "* `a` - the first.",
}


@pytest.mark.parametrize("style", ALL)
def test_documented_spans_cover_the_entry_line(style):
    raw = ALL[style]
    first = documented(raw)[1][0]
    assert raw[first.start : first.end] == FIRST_LINES[style]


@pytest.mark.parametrize(
    "raw",
    [
        '"""Add two numbers.\n\n    Returns:\n        The sum.\n    """',
        '"""Add."""',
        "/** Add two numbers. @returns {number} */",
        "/// Add two numbers.\n///\n/// # Examples\n/// add(1, 2);",
        "",
    ],
)
def test_no_parameter_section_means_no_drift(raw):
    assert documented(raw) is None
    assert drift(raw, ["a", "b"]) is None
    assert fix(raw, ["a", "b"]) == raw


@pytest.mark.parametrize("style", ALL)
def test_all_documented_in_order_is_no_drift(style):
    assert drift(ALL[style], ["a", "b"]) is None
    assert fix(ALL[style], ["a", "b"]) == ALL[style]


def test_empty_section_documents_nothing():
    raw = '"""Add.\n\n    Args:\n    """'
    assert documented(raw) == ("google", [])
    assert drift(raw, ["a"]) is None
    assert fix(raw, ["a"]) == raw


def test_self_and_cls_are_ignored():
    raw = '"""Do.\n\n    Args:\n        self: me.\n        a: first.\n    """'
    assert names(raw) == ["a"]
    assert drift(raw, ["a"]) is None


def test_a_private_parameter_is_not_asked_for_but_is_stale_once_gone():
    raw = '"""Do.\n\n    Args:\n        a: first.\n    """'
    assert drift(raw, ["a", "_seen"]) is None  # rich's `Traceback.extract(..., _visited_exceptions)`
    assert drift(raw, ["a", "_seen", "b"]) == Drift(stale=[], missing=["b"])
    assert fix(raw, ["a", "_seen", "b"]) == raw.replace("first.\n", "first.\n        b: TODO: describe.\n")
    documented_private = raw.replace("        a: first.\n", "        a: first.\n        _seen: internal.\n")
    assert drift(documented_private, ["a", "_seen"]) is None
    assert drift(documented_private, ["a"]) == Drift(stale=["_seen"], missing=[])


def test_star_args_match_plain_names():
    raw = '"""Do.\n\n    Args:\n        *args: more.\n        **kwargs: options.\n    """'
    assert names(raw) == ["args", "kwargs"]
    assert drift(raw, ["args", "kwargs"]) is None
    assert drift(raw, ["args"]) == Drift(stale=["kwargs"], missing=[])


def test_keyword_section_entries_are_not_stale_when_kwargs_exist():
    raw = (
        '"""Do.\n\n    Args:\n        a: first.\n        **options: see below.\n\n'
        '    Keyword Args:\n        timeout: seconds.\n    """'
    )
    assert drift(raw, ["a", "options"]) is None
    assert drift(raw, ["a"]) == Drift(stale=["options", "timeout"], missing=[])


def test_kwargs_are_documented_by_the_keywords_they_pass_on():
    """arrow 1.4's `Arrow.floor(self, frame, **kwargs)` documents `week_start`, the one keyword
    it passes on to `span`: `kwargs` is documented so. Documenting nothing it takes, it is not."""
    raw = '"""Floor.\n\n    :param frame: the timeframe.\n    :param week_start: (optional) the first day.\n    """'
    assert drift(raw, ["frame", "**kwargs"]) is None
    plain = '"""Floor.\n\n    :param frame: the timeframe.\n    """'
    assert drift(plain, ["frame", "**kwargs"]) == Drift(stale=[], missing=["kwargs"])


# --- drift -----------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ALL)
def test_renamed_parameter_is_one_stale_one_missing(style):
    assert drift(ALL[style], ["a", "c"]) == Drift(stale=["b"], missing=["c"])


def test_missing_are_in_parameter_order_and_stale_in_doc_order():
    raw = '"""Do.\n\n    Args:\n        z: last.\n        y: first.\n    """'
    assert drift(raw, ["c", "b", "a"]) == Drift(stale=["z", "y"], missing=["c", "b", "a"])


# --- fix, per style --------------------------------------------------------------------------


def test_google_rename_replaces_entry_with_its_continuation():
    assert fix(GOOGLE, ["c", "b"]) == GOOGLE.replace(
        "        a (int): the first\n            number, over two lines.\n", "        c: TODO: describe.\n"
    )


def test_google_missing_goes_after_previous_parameter():
    assert fix(GOOGLE, ["a", "x", "b", "y"]) == GOOGLE.replace(
        "        b: the second.\n", "        x: TODO: describe.\n        b: the second.\n        y: TODO: describe.\n"
    )


def test_google_removing_the_only_entry_drops_the_header():
    raw = '"""Add.\n\n    Args:\n        a: first.\n\n    Returns:\n        int\n    """'
    assert fix(raw, []) == '"""Add.\n\n    Returns:\n        int\n    """'
    assert fix('"""Add.\n\n    Args:\n        a: first.\n    """', []) == '"""Add.\n    """'


def test_google_closing_quotes_on_the_entry_line():
    raw = '"""Add.\n\n    Args:\n        a: first."""'
    assert fix(raw, []) == '"""Add."""'
    assert fix(raw, ["a", "b"]) == '"""Add.\n\n    Args:\n        a: first.\n        b: TODO: describe."""'
    assert fix(raw, ["b"]) == '"""Add.\n\n    Args:\n        b: TODO: describe."""'


def test_google_blank_lines_between_entries():
    raw = '"""Add.\n\n    Args:\n        a: first.\n\n        b: second.\n\n    Returns:\n        x\n    """'
    assert fix(raw, ["a"]) == '"""Add.\n\n    Args:\n        a: first.\n\n    Returns:\n        x\n    """'


def test_tabs_and_crlf_are_kept():
    raw = "r'''Add.\r\n\r\n\tArgs:\r\n\t\ta: first.\r\n\t\t\tmore.\r\n\t\tb: second.\r\n\t'''"
    assert fix(raw, ["a", "c"]) == raw.replace("\t\tb: second.", "\t\tc: TODO: describe.")
    assert fix(raw, ["b"]) == "r'''Add.\r\n\r\n\tArgs:\r\n\t\tb: second.\r\n\t'''"


def test_single_quoted_one_line_sphinx():
    assert fix("':param a: first.'", ["b"]) == "':param b: TODO: describe.'"
    assert fix("''':param a: first.'''", []) == "''' '''"


def test_numpy_rename_and_shared_entries():
    raw = NUMPY.replace("    a : int\n", "    a, z : int\n")
    assert names(raw) == ["a", "z", "b"]
    assert fix(raw, ["a", "b"]) == NUMPY
    assert fix(NUMPY, ["a", "c"]) == NUMPY.replace(
        "    b : int, optional\n        The second.\n", "    c\n        TODO: describe.\n"
    )


def test_numpy_removing_every_entry_drops_the_section():
    assert fix(NUMPY, []) == '"""Add two numbers.\n\n    Returns\n    -------\n    int\n    """'


def test_numpy_stops_at_the_next_section():
    raw = NUMPY.replace("    int\n", "    c : int\n        Not a parameter.\n")
    assert names(raw) == ["a", "b"]


def test_sphinx_type_lines_go_with_their_entry():
    assert fix(SPHINX, ["b"]) == (
        '"""Add two numbers.\n\n    :param int b: the second.\n    :returns: the sum.\n    """'
    )
    apart = '"""Do.\n\n:param a: x\n:param b: y\n:type a: int\n:type b: str\n"""'
    assert fix(apart, ["b"]) == '"""Do.\n\n:param b: y\n:type b: str\n"""'


def test_sphinx_only_entry_removed():
    assert fix('"""Do.\n\n    :param a: x\n    """', []) == '"""Do.\n    """'


def test_jsdoc_variants():
    raw = (
        "/**\n * @param a plain\n * @param {string} b typed\n * @param [c] optional\n"
        " * @param [d=1] defaulted\n * @param e - hyphenated\n * @param {Object} f\n"
        " * @param {number} f.x sub-property\n * @param {...number} g rest\n */"
    )
    assert names(raw) == list("abcdefg")
    without_f = raw.replace(" * @param {Object} f\n * @param {number} f.x sub-property\n", "")
    assert fix(raw, list("abcdeg")) == without_f


def test_jsdoc_section_ends_at_next_tag_and_keeps_hyphen_style():
    assert fix(JSDOC, ["a", "c"]) == JSDOC.replace(
        "     * @param {number} [b=0] - the second,\n     *   defaulted.\n", "     * @param c - TODO: describe.\n"
    )


def test_javadoc_type_parameter_is_not_a_parameter():
    raw = "/**\n * Box.\n * @param <T> the type\n * @param value the value\n */"
    assert names(raw) == ["value"]
    assert drift(raw, ["value"]) is None


def test_jsdoc_one_line_comment():
    raw = "/** @param a x */"
    assert documented(raw) == ("jsdoc", [Documented("a", 4, 14)])
    assert fix(raw, ["b"]) == "/** @param b TODO: describe. */"
    assert fix(raw, []) == "/** */"
    assert fix(raw, ["a", "b"]) == "/** @param a x\n * @param b TODO: describe. */"
    assert drift(fix(raw, ["z", "a"]), ["z", "a"]) is None


def test_jsdoc_removing_the_first_line_entry_keeps_the_opener():
    raw = "/** @param a x\n * @param b y\n */"
    assert fix(raw, ["b"]) == "/** @param b y\n */"


def test_rust_rename_and_multiline_entry():
    assert fix(RUST, ["a", "c"]) == RUST.replace(
        "    /// * `b` - the second,\n    ///   on two lines.\n", "    /// * `c` - TODO: describe.\n"
    )


def test_rust_removing_every_entry_drops_the_heading():
    assert fix(RUST, []) == "/// Add two numbers.\n    ///\n    /// # Returns\n    ///\n    /// The sum."
    trailing = "/// Add.\n///\n/// # Arguments\n///\n/// * `a` - x\n"
    assert fix(trailing, []) == "/// Add.\n"


# --- property: the fix always settles the drift ----------------------------------------------

DOC_NAMES = ["alpha", "beta", "gamma", "delta", "epsilon"]
NEW_NAMES = ["p1", "q2", "rho", "sigma", "tau", "omega"]


def google_doc(names, nl, ind, closer_alone):
    inner = ind + (ind or "  ")
    body = [f"{ind}Args:"] + [
        line for n in names for line in (f"{inner}{n} (int): about {n}", f"{inner}{ind or '  '}continued {n}.")
    ]
    tail = [f"{ind}Returns:", f"{inner}Nothing."]
    return python_doc(body, tail, nl, ind, closer_alone)


def numpy_doc(names, nl, ind, closer_alone):
    body = [f"{ind}Parameters", f"{ind}----------"] + [
        line for n in names for line in (f"{ind}{n} : int", f"{ind}{ind or '  '}About {n}.")
    ]
    tail = [f"{ind}Returns", f"{ind}-------", f"{ind}int"]
    return python_doc(body, tail, nl, ind, closer_alone)


def sphinx_doc(names, nl, ind, closer_alone):
    body = [line for n in names for line in (f"{ind}:param {n}: about {n}", f"{ind}:type {n}: int")]
    return python_doc(body, [f"{ind}:returns: nothing."], nl, ind, closer_alone)


def python_doc(body, tail, nl, ind, closer_alone):
    lines = ["'''Summary.", ""] + body + [""] + tail
    return nl.join(lines) + (nl + ind + "'''" if closer_alone else "'''")


def jsdoc_doc(names, nl, ind, closer_alone):
    if not closer_alone and len(names) == 1:
        return f"/** @param {names[0]} about it */"
    lines = (
        ["/**", f"{ind} * Summary.", f"{ind} *"]
        + [f"{ind} * @param {{number}} {n} - about {n}" for n in names]
        + [f"{ind} * @returns x", f"{ind} */"]
    )
    return nl.join(lines)


def rust_doc(names, nl, ind, closer_alone):
    lines = ["/// Summary.", f"{ind}///", f"{ind}/// # Arguments", f"{ind}///"] + [
        f"{ind}/// * `{n}` - about {n}" for n in names
    ]
    lines += [f"{ind}///", f"{ind}/// # Panics", f"{ind}/// Never."]
    return nl.join(lines) + (nl if closer_alone else "")


BUILDERS = {"google": google_doc, "numpy": numpy_doc, "sphinx": sphinx_doc, "jsdoc": jsdoc_doc, "rust": rust_doc}


@st.composite
def drifted(draw):
    """A doc of some style and a parameter list derived from its names by drops, renames and additions."""
    style = draw(st.sampled_from(sorted(BUILDERS)))
    doc_names = draw(st.lists(st.sampled_from(DOC_NAMES), min_size=1, max_size=4, unique=True))
    fresh = iter(draw(st.permutations(NEW_NAMES)))
    params = []
    for name in doc_names:
        change = draw(st.sampled_from(["keep", "drop", "rename", "add"]))
        params += [name] if change in ("keep", "add") else []
        params += [next(fresh)] if change in ("rename", "add") else []
    if draw(st.booleans()):
        params.insert(draw(st.integers(0, len(params))), next(fresh))
    nl, ind = draw(st.sampled_from(["\n", "\r\n"])), draw(st.sampled_from(["    ", "\t", ""]))
    raw = BUILDERS[style](doc_names, nl, ind, draw(st.booleans()))
    return style, raw, params, nl


@settings(max_examples=400, deadline=None)
@given(drifted())
def test_fix_settles_drift(case):
    style, raw, params, nl = case
    assert documented(raw)[0] == style
    fixed = fix(raw, params)
    assert drift(fixed, params) is None
    assert fix(fixed, params) == fixed
    found = documented(fixed)
    assert ([d.name for d in found[1]] if found else []) == params
    assert ("Summary." in fixed) == ("Summary." in raw)
    if "\r\n" in raw:
        assert "\n" not in fixed.replace("\r\n", "")
    if drift(raw, params) is None:
        assert fixed == raw


@settings(max_examples=200, deadline=None)
@given(drifted())
def test_fix_keeps_untouched_lines(case):
    _, raw, params, nl = case
    fixed_lines = fix(raw, params).split(nl)
    headings = ("Args:", "Parameters", "----------", "# Arguments")
    kept = [line for line in raw.split(nl) if not any(n in line for n in DOC_NAMES + list(headings))]
    for line in kept[1:-1]:
        assert line in fixed_lines or line.strip(" \t*/") == ""


def test_stale_keyword_section_is_dropped_whole():
    raw = '"""Do.\n\n    Args:\n        a: first.\n\n    Keyword Args:\n        timeout: seconds.\n    """'
    assert fix(raw, ["a"]) == '"""Do.\n\n    Args:\n        a: first.\n    """'
    assert fix(raw, ["a", "kwargs"]) == raw.replace(
        "        a: first.\n", "        a: first.\n        kwargs: TODO: describe.\n"
    )


def test_plain_text_without_delimiters():
    raw = "Add.\n\nArgs:\n    a: first.\n    b: second.\n"
    assert drift(raw, ["a"]) == Drift(stale=["b"], missing=[])
    assert fix(raw, ["a"]) == "Add.\n\nArgs:\n    a: first.\n"


def test_offsets_with_crlf_and_tabs():
    raw = '"""Add.\r\n\r\n\tArgs:\r\n\t\ta: first.\r\n\t\tb: second.\r\n\t"""'
    spans = [raw[d.start : d.end] for d in documented(raw)[1]]
    assert spans == ["a: first.", "b: second."]


@pytest.mark.parametrize(
    "doc,params,expected",
    [
        # react-router 8's `Links({ nonce, crossOrigin }: LinksProps)`: documented as `props`
        (
            "/**\n * Renders.\n *\n * @param props Props\n * @param {LinksProps.nonce} props.nonce n/a\n"
            " * @param {LinksProps.crossOrigin} props.crossOrigin n/a\n */",
            ["{ nonce, crossOrigin }"],
            None,
        ),
        ("/**\n * @param a first\n * @param options the rest\n */", ["a", "{ b, c }"], None),
        # never asked for; what no parameter takes beyond it is still stale
        ("/**\n * @param a first\n */", ["a", "{ b }"], None),
        ("/**\n * @param options the rest\n * @param old gone\n */", ["{ b }"], Drift(["old"], [])),
        ("/**\n * @param options the rest\n */", ["{ b }", "c"], Drift([], ["c"])),
    ],
)
def test_a_destructured_parameter_is_documented_under_any_name(doc, params, expected):
    assert drift(doc, params) == expected
    if expected is None:
        assert fix(doc, params) == doc
