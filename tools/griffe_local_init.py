"""Griffe extension for the docs: generated classes and doctest examples.

1. Layer classes made at import time.

`keras_acts.layers` builds most of its classes with `type(...)`, and their
`__init__` is a function local to the factory
(``_make_class.<locals>.__init__``). Griffe's inspector records it as an alias
it cannot resolve, which breaks rendering the class docstring's Args. This
extension replaces such an alias by a function with the runtime signature
(the one `inspect.signature` shows).

2. Examples. keras_acts docstrings write their doctest lines flush with the
section header (``Example:`` then ``>>> ...``), which reads well in `help()`
but which the Google parser sees as an empty section followed by plain text.
The extension indents such blocks so they render as code examples.

mkdocs.yml loads it.
"""

import inspect
import re

import griffe

_HEADER = re.compile(r"^[A-Z][A-Za-z ]*:\s*$")
_EXAMPLE = re.compile(r"^Examples?:\s*$")


def indent_examples(text):
    """Indents the unindented lines that follow an ``Example(s):`` header."""
    lines = text.split("\n")
    out, inside, started = [], False, False
    for line in lines:
        if _EXAMPLE.match(line):
            inside, started = True, False
            out.append("Examples:")
            continue
        if inside and _HEADER.match(line):
            inside = False
        if inside and not started:
            if not line.strip():
                continue  # A blank line right after the header ends the section.
            started = True
        if inside and line.strip() and not line.startswith(" "):
            line = "    " + line
        out.append(line)
    return "\n".join(out)


_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


class LocalInit(griffe.Extension):
    """Turns unresolvable ``<locals>`` `__init__` aliases into functions."""

    def on_class_members(self, *, node, cls, agent, **kwargs):
        member = cls.members.get("__init__")
        if not isinstance(member, griffe.Alias) or "<locals>" not in member.target_path:
            return
        runtime = getattr(getattr(node, "obj", None), "__init__", None)
        try:
            signature = inspect.signature(runtime)
        except (TypeError, ValueError):
            cls.del_member("__init__")
            return
        parameters = griffe.Parameters(
            *(
                griffe.Parameter(
                    p.name,
                    kind=_KINDS[p.kind],
                    default=None if p.default is p.empty else repr(p.default),
                )
                for p in signature.parameters.values()
            )
        )
        cls.set_member(
            "__init__", griffe.Function("__init__", parameters=parameters, parent=cls)
        )


class FlushExamples(griffe.Extension):
    """Indents flush-left doctest examples under their section header."""

    def on_object(self, *, obj, loader, **kwargs):
        docstring = getattr(obj, "docstring", None)
        if docstring is not None and ">>>" in docstring.value:
            docstring.value = indent_examples(docstring.value)
