"""The package's module graph: no import cycle, and arrows point one way.

Every ``import`` of a keras_acts module, at the top of a module or deferred
inside a function, is read from the source with `ast` (nothing is imported).
From the bottom up:

* `_spec` (data: ActivationSpec, Param, LayerOptions), `_saving`;
* `_kernels` (runs a spec on the backend), `_math` (numeric primitives),
  `_symbolic` (graph ops), `_public` (the public functions), `_rational`
  (bases, kernel, fit), `_activations` (the definitions), `_keras_internals`,
  `_names`, `constraints`, `initializers`;
* `layers` (every Keras layer);
* the top: the package itself, `_selfnorm`, `_cli`, `__main__`.

A module below `layers` never imports `layers` or the top, and no module
imports one that (through others) imports it back.
"""

import ast
import pathlib

import keras_acts

PACKAGE = pathlib.Path(keras_acts.__file__).resolve().parent
TOP = {"keras_acts", "keras_acts._selfnorm", "keras_acts._cli", "keras_acts.__main__"}


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _target(name):
    """The module `name` stands for: itself, else the module holding it."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
        assert name, "not a keras_acts name"
    return name


def _imports(module):
    """The keras_acts modules `module` imports, anywhere in its source."""
    tree = ast.parse(MODULES[module].read_text())
    is_package = MODULES[module].name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # Relative: resolve against this module's package.
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            # `from keras_acts import _spec` imports the module `_spec`;
            # `from keras_acts._spec import Param`, the module `_spec`.
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "keras_acts":
                found.add(_target(name))
    found.discard(module)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _is_layers(module):
    return module == "keras_acts.layers" or module.startswith("keras_acts.layers.")


def test_the_graph_is_read():
    # The reader finds the arrows it should (a reader that finds none would
    # pass every test below).
    assert "keras_acts._spec" in GRAPH["keras_acts._public"]
    assert "keras_acts._kernels" in GRAPH["keras_acts._public"]
    assert "keras_acts._math" in GRAPH["keras_acts._activations.gated"]
    assert "keras_acts._rational" in GRAPH["keras_acts.layers._rational"]
    assert "keras_acts.layers" in GRAPH["keras_acts._selfnorm"]


def test_spec_imports_no_other_module():
    assert GRAPH["keras_acts._spec"] == set()


def test_no_import_from_below_up_into_layers_or_the_top():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if module not in TOP and not _is_layers(module)
        for target in targets
        if target in TOP or _is_layers(target)
    )
    upward += sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if _is_layers(module)
        for target in targets
        if target in TOP
    )
    assert not upward, upward


def test_no_import_cycle():
    # Depth-first search; a back edge closes a cycle.
    state, stack, cycles = {}, [], []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert not cycles, [" -> ".join(c) for c in cycles]
