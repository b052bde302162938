"""MkDocs hooks for the docs: maths typeset at build time, no network at view time.

pymdownx.arithmatex (generic mode, mkdocs.yml) marks every formula of the
pages and of the docstrings that mkdocstrings renders as
``<span class="arithmatex">\\(...\\)</span>`` (inline) or
``<div class="arithmatex">\\[...\\]</div>`` (display). This hook converts each
one to MathML with latex2mathml (a pure-Python package from the ``docs``
extra), which browsers typeset natively: the built pages need no JavaScript
renderer, no CDN and no font download to show maths, online or offline.

A formula latex2mathml cannot convert fails the build, naming the page and
the formula. So does a page that would load anything from another host (a
script, a stylesheet, a font, an image: `external_resources`), so no theme
option or extra script can bring a CDN back unnoticed.

mkdocs.yml loads it (``hooks:``).
"""

import html
import re

from latex2mathml.converter import convert

_MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">'
    r"(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\])"
    r"</(?P=tag)>",
    re.S,
)


# latex2mathml writes | as a plain operator, which browsers space as an
# infix relation (| b_1 | | x |); as a fence it takes no space.
_BAR = re.compile(r'<mo((?: stretchy="false")?)>(\||&#x0007C;)</mo>')


def to_mathml(latex, display):
    """The MathML of one LaTeX formula (inline or display)."""
    mathml = convert(latex.strip(), display="block" if display else "inline")
    return _BAR.sub(r'<mo\1 lspace="0em" rspace="0em">\2</mo>', mathml)


def typeset(text, where="<html>"):
    """`text` with every arithmatex formula replaced by its MathML."""

    def replace(match):
        display = match.group("display") is not None
        latex = html.unescape(match.group("display" if display else "inline"))
        try:
            mathml = to_mathml(latex, display)
        except Exception as error:  # latex2mathml raises many kinds
            raise ValueError(
                f"{where}: cannot typeset the formula {latex!r}: {error}"
            ) from error
        if display:
            return f'<div class="arithmatex">{mathml}</div>'
        return f'<span class="arithmatex">{mathml}</span>'

    return _MATH.sub(replace, text)


def on_page_content(html_text, page, **kwargs):
    return typeset(html_text, where=page.file.src_uri)


# What a page loads when it is viewed (not where its links point): elements
# whose src, or link elements whose href, name another host, and CSS imports.
_LOADS = re.compile(
    r"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*?\bsrc=[\"']?"
    r"((?:https?:)?//[^\"'\s>]+)"
    r"|<link\b[^>]*?\bhref=[\"']?((?:https?:)?//[^\"'\s>]+)"
    r"|@import\s+(?:url\()?[\"']?((?:https?:)?//[^\"')\s]+)",
    re.I,
)


def external_resources(html_text):
    """The URLs on other hosts that a page would load when viewed."""
    return [next(g for g in m.groups() if g) for m in _LOADS.finditer(html_text)]


def on_post_page(output, page, **kwargs):
    found = external_resources(output)
    if found:
        raise ValueError(
            f"{page.file.src_uri}: the page would load {sorted(set(found))} from "
            "the network; the docs must work offline (bundle it instead)."
        )
    return output
