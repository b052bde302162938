"""Plain-text formulas: the registry's LaTeX written for a terminal.

`plain(latex)` turns the subset of LaTeX the activation definitions use
(fractions, cases, square roots, sums, Greek letters, ``\\mathrm``, sub- and
superscripts) into one line of text such as
``x·tanh(ln(1 + exp(x)))``. The LaTeX in the spec stays the single source.
"""

import re

_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "theta": "θ",
    "lambda": "λ",
    "omega": "ω",
    "sigma": "σ",
    "Phi": "Φ",
    "pi": "π",
}
_SYMBOLS = {
    "cdot": "·",
    "le": " ≤ ",
    "leq": " ≤ ",
    "ge": " ≥ ",
    "geq": " ≥ ",
    "approx": " ≈ ",
    "times": "×",
    "infty": "∞",
    "vert": "|",
}
_FUNCTIONS = ("ln", "log", "exp", "tanh", "sinh", "cosh", "sin", "cos", "max", "min")
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _group(text, start):
    """The brace group opening at `text[start]`: (its content, end index)."""
    if start >= len(text) or text[start] != "{":
        # A single token: a letter, a digit or a command.
        match = re.match(r"\\[A-Za-z]+|.", text[start:])
        return match.group(0), start + len(match.group(0))
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1 : i], i + 1
    raise ValueError(f"Unbalanced braces in formula {text!r}.")


def _closing(text, start):
    """Index of the bracket closing the one at `text[start]`."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    raise ValueError(f"Unbalanced parentheses in {text!r}.")


def _atomic(text):
    """Whether `text` reads as one term without parentheses."""
    if re.fullmatch(r"[\w.αβγδθλωσΦπ₀-₉²-⁹¹]+", text):
        return True
    name = re.match(r"[\w.αβγδθλωσΦπ]*", text).group(0)
    rest = text[len(name) :]
    return rest.startswith("(") and _closing(rest, 0) == len(rest) - 1


def _wrap(text):
    return text if _atomic(text) else f"({text})"


def _cases(body):
    parts = []
    for row in re.split(r"\\\\", body):
        value, _, condition = row.partition("&")
        parts.append(f"{plain(value)} if {plain(condition)}")
    return "{" + "; ".join(parts) + "}"


def _superscript(text):
    if text.isdigit():
        return text.translate(_SUPERSCRIPTS)
    return "^" + _wrap(text)


def plain(latex):
    """One line of plain text for a LaTeX formula of the registry.

    Args:
        latex: a formula as in `ActivationSpec.formula` (no surrounding $).

    Returns:
        The formula with fractions as ``a / b``, ``e^{...}`` as ``exp(...)``,
        Greek letters and operators as Unicode symbols, and no backslashes.
    """
    return _strip(_render(latex))


def _render(latex):
    out = []
    i = 0
    while i < len(latex):
        char = latex[i]
        if latex.startswith(r"\begin{cases}", i):
            end = latex.index(r"\end{cases}", i)
            out.append(_cases(latex[i + len(r"\begin{cases}") : end]))
            i = end + len(r"\end{cases}")
        elif char == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", latex[i:])
            command = match.group(1)
            i += len(match.group(0))
            if command == "frac":
                top, i = _group(latex, i)
                bottom, i = _group(latex, i)
                out.append(f"({_wrap(_render(top))} / {_wrap(_render(bottom))})")
            elif command == "sqrt":
                inner, i = _group(latex, i)
                out.append(f"sqrt({_strip(_render(inner))})")
            elif command in ("mathrm", "operatorname", "text"):
                inner, i = _group(latex, i)
                out.append(_render(inner))
            elif command == "sum":
                out.append("Σ")
                if latex.startswith("_", i):
                    low, i = _group(latex, i + 1)
                    high = ""
                    if latex.startswith("^", i):
                        high, i = _group(latex, i + 1)
                    limits = _render(low) + (f"..{_render(high)}" if high else "")
                    out.append(f"_{{{limits}}} " if len(limits) > 1 else f"_{limits} ")
            elif command in ("left", "right"):
                continue  # The delimiter itself follows.
            elif command in _GREEK:
                out.append(_GREEK[command])
            elif command in _SYMBOLS:
                out.append(_SYMBOLS[command])
            elif command in _FUNCTIONS:
                out.append(command)
            elif command in (",", " ", ";", ":", "quad"):
                out.append(" ")
            else:
                out.append(command)
        elif char == "e" and latex.startswith("e^", i):
            inner, i = _group(latex, i + 2)
            out.append(f"exp({_strip(_render(inner))})")
        elif char == "^":
            inner, i = _group(latex, i + 1)
            out.append(_superscript(_render(inner)))
        elif char == "_":
            inner, i = _group(latex, i + 1)
            text = _render(inner)
            out.append(text.translate(_SUBSCRIPTS) if text.isdigit() else "_" + text)
        elif char in "{}":
            i += 1
        else:
            out.append(char)
            i += 1
    return _tidy("".join(out))


def _tidy(text):
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\( ", "(", text)
    text = re.sub(r" \)", ")", text)
    text = re.sub(r" ,", ",", text)
    # "((a / b))": a fraction already inside brackets needs no more.
    i = text.find("((")
    while i >= 0:
        inner_end = _closing(text, i + 1)
        if text[inner_end + 1 : inner_end + 2] == ")" and _closing(text, i) == (
            inner_end + 1
        ):
            text = text[: i + 1] + text[i + 2 : inner_end] + text[inner_end + 1 :]
        i = text.find("((", i + 1)
    return text


def _strip(text):
    """`text` without brackets around all of it."""
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1]
    return text
