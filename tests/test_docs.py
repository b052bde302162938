"""The docs: the generator covers the whole registry and every public layer,
the pages work offline (maths typeset at build time, nothing loaded from
another host), the catalog table is narrow, the layer pages name no private
class, the benchmarks page gives results before the method, and the
guarantees page's limits at +-inf agree with the float64 references."""

import importlib
import importlib.util
import inspect
import pathlib
import re

import numpy as np
import pytest
from _util import limit
from references import REFERENCES

import keras_acts

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load_tool(name):
    """A script of tools/ as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _gen_docs():
    return _load_tool("gen_docs")


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """The generated pages (and plots), written once for this module."""
    folder = tmp_path_factory.mktemp("docs")
    _gen_docs().generate(folder)
    return folder


def test_generator_covers_every_name_and_layer(generated):
    gen_docs = _gen_docs()
    tmp_path = generated
    catalog = (tmp_path / "catalog.md").read_text()
    api = (tmp_path / "api.md").read_text()
    for name in keras_acts.names():
        spec = keras_acts.info(name)
        page = (tmp_path / "activations" / f"{name}.md").read_text()
        assert spec.formula in page
        assert spec.reference.url in page
        assert f"(activations/{name}.md)" in catalog
        assert f"::: keras_acts.{name}\n" in api
        # Every activation has its plot (softmax's: one component of it).
        assert (tmp_path / "activations" / f"{name}.png").exists(), name
        assert f"]({name}.png)" in page
    layers_index = (tmp_path / "layers" / "index.md").read_text()
    for layer in gen_docs.layer_classes():
        assert f"(layers/{layer}.md)" in api
        assert f"]({layer}.md)" in layers_index
        page = (tmp_path / "layers" / f"{layer}.md").read_text()
        assert f"::: keras_acts.layers.{layer}\n" in page
        assert (tmp_path / "layers" / f"{layer}.png").exists(), layer


def test_readme_catalog_is_current():
    gen_docs = _gen_docs()
    assert gen_docs.readme_block() in (ROOT / "README.md").read_text(), (
        "README.md's catalog is stale: run python tools/gen_docs.py"
    )


def test_docstrings_parse_with_args_and_examples():
    """What mkdocstrings renders: every function's Args and Example sections."""
    import griffe

    indent_examples = _load_tool("griffe_local_init").indent_examples
    for name in keras_acts.names():
        spec = keras_acts.info(name)
        text = indent_examples(inspect.cleandoc(spec.public.__doc__))
        sections = griffe.Docstring(text).parse("google", warn_missing_types=False)
        kinds = {s.kind.value: s for s in sections}
        assert "examples" in kinds, name
        code = "".join(str(part) for part in kinds["examples"].value)
        assert f"keras_acts.{name}(" in code, name
        if spec.params:
            documented = [p.name for p in kinds["parameters"].value]
            for param in spec.params:
                assert param.name in documented, (name, param.name)


# --- Offline pages -------------------------------------------------------------


def _mkdocs_config():
    import yaml  # The docs extra's (mkdocs): not in the lowest-versions env.

    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def _arithmatex_html(text):
    """`text` as mkdocs renders it: Markdown with arithmatex (generic)."""
    import markdown

    return markdown.markdown(
        text,
        extensions=["pymdownx.arithmatex", "tables"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )


def test_config_loads_nothing_from_the_network():
    config = _mkdocs_config()
    for key in ("extra_javascript", "extra_css"):
        for entry in config.get(key, []):
            path = entry if isinstance(entry, str) else entry["path"]
            assert "//" not in path, (key, path)
            assert (ROOT / "docs" / path).exists(), (key, path)
    # Material fetches Google Fonts unless told not to.
    assert config["theme"].get("font") is False
    assert "tools/mkdocs_hooks.py" in config["hooks"]
    options = config["plugins"][1]["mkdocstrings"]["handlers"]["python"]["options"]
    assert options["show_bases"] is False  # gen_docs.py writes public bases
    assert options["docstring_section_style"] == "list"  # no empty Type column
    assert not list((ROOT / "docs").rglob("*.js")), "a script in docs/"


def test_hook_rejects_pages_that_load_from_other_hosts():
    hooks = _load_tool("mkdocs_hooks")

    class Page:
        class file:
            src_uri = "x.md"

    local = '<link href="../assets/a.css"><a href="https://arxiv.org/x">paper</a>'
    assert hooks.on_post_page(local, page=Page) == local
    for remote in (
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js">',
        '<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>',
        '<img src="//example.org/plot.png">',
        "<style>@import url('https://fonts.googleapis.com/css')</style>",
    ):
        with pytest.raises(ValueError, match="network"):
            hooks.on_post_page(local + remote, page=Page)


def test_hook_typesets_maths_and_fails_on_bad_latex():
    hooks = _load_tool("mkdocs_hooks")
    html = hooks.typeset(_arithmatex_html("Inline $x^2 < 1$ and\n\n$$\n|x|\n$$\n"))
    assert html.count("<math") == 2
    assert 'display="block"' in html and 'display="inline"' in html
    assert "\\(" not in html and "\\[" not in html
    # No build-time renderer is a no-op: a formula it cannot read fails.
    with pytest.raises(ValueError, match="cannot typeset"):
        hooks.typeset(_arithmatex_html("$\\frac{1}{$"), where="bad.md")


def _markdown_sources(generated):
    """Every Markdown text the site renders maths from, by name."""
    sources = {
        str(p.relative_to(ROOT)): p.read_text()
        for p in (ROOT / "docs").rglob("*.md")
        if p.relative_to(ROOT / "docs").parts[0] not in ("activations", "layers")
        and p.name not in ("catalog.md", "guarantees.md", "api.md")
    }
    sources.update(
        {
            f"generated/{p.relative_to(generated)}": p.read_text()
            for p in generated.rglob("*.md")
        }
    )
    from keras_acts import layers

    for name in layers.__all__:
        sources[f"keras_acts.layers.{name}"] = inspect.cleandoc(
            getattr(layers, name).__doc__
        )
    for name in keras_acts.names():
        sources[f"keras_acts.{name}"] = inspect.cleandoc(
            keras_acts.info(name).public.__doc__
        )
    return sources


def test_every_formula_becomes_mathml(generated):
    """Pages, generated pages and docstrings: all maths typesets at build time."""
    hooks = _load_tool("mkdocs_hooks")
    count = 0
    for where, text in _markdown_sources(generated).items():
        html = hooks.typeset(_arithmatex_html(text), where=where)
        assert 'class="arithmatex">\\(' not in html, where
        assert 'class="arithmatex">\\[' not in html, where
        count += html.count("<math")
    assert count > 100  # activation pages, rational layers, guides...


# --- Catalog, layer pages, benchmarks ------------------------------------------

CATALOG_MAX_COLUMNS = 4
CATALOG_MAX_ROW_CHARS = 120  # visible characters of a row, all cells together


def _table_rows(markdown_text):
    return [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in markdown_text.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]


def _visible(cell):
    """A cell's text as shown: links without their targets, no backticks."""
    return re.sub(r"\]\([^)]*\)", "]", cell).replace("`", "").replace("[", "")


def test_catalog_table_is_narrow():
    gen_docs = _gen_docs()
    rows = _table_rows(gen_docs.catalog_page())
    assert len(rows) == len(keras_acts.names()) + 1
    assert len(rows[0]) <= CATALOG_MAX_COLUMNS, rows[0]
    for row in rows:
        assert len(row) == len(rows[0]), row
        assert "$" not in "".join(row), row  # formulas are on the own pages
        shown = sum(len(_visible(cell).replace("]", "")) for cell in row)
        assert shown <= CATALOG_MAX_ROW_CHARS, (shown, row)


def test_activation_pages_keep_the_details(generated):
    """What left the catalog is on each activation's page."""
    for name in keras_acts.names():
        spec = keras_acts.info(name)
        page = (generated / "activations" / f"{name}.md").read_text()
        assert f"$$\nf(x) = {spec.formula}\n$$" in page
        assert "output range" in page and "monotonic" in page
        for param in spec.params:
            assert f"| `{param.name}` | `{param.default!r}` |" in page


def test_layer_pages_name_no_private_class(generated):
    gen_docs = _gen_docs()
    for name, cls in gen_docs.layer_classes().items():
        page = (generated / "layers" / f"{name}.md").read_text()
        assert "_Rational" not in page and "_activation" not in page, name
        (bases,) = re.findall(r"^Bases: (.*)$", page, re.M)
        for base in re.findall(r"`([^`]+)`", bases):
            assert not any(part.startswith("_") for part in base.split(".")), base
            module, _, attr = base.rpartition(".")
            target = getattr(importlib.import_module(module), attr)
            assert target in cls.__mro__, (name, base)
        doc = cls.__doc__
        assert "_Rational" not in doc, name
        # Formulas as maths, not code.
        assert "Formula: ``" not in doc and "``F(x)" not in doc, name
    assert (
        "keras_acts.layers.OrthogonalPade" in (generated / "layers/HP1.md").read_text()
    )


def test_docstrings_write_formulas_as_maths():
    """The API pages show formulas typeset, not as LaTeX source in code."""
    from keras_acts import constraints, layers

    documented = [keras_acts.info(n).public for n in keras_acts.names()]
    documented += [getattr(layers, n) for n in layers.__all__]
    documented += [getattr(constraints, n) for n in constraints.__all__]
    for obj in documented:
        doc = obj.__doc__
        assert "Formula: $" in doc or "$F(x) = " in doc, obj  # rational units
        assert "Formula: ``" not in doc, obj


def test_benchmarks_give_results_before_method():
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    headings = re.findall(r"^## (.+)$", text, re.M)
    first_method = min(
        headings.index(h) for h in ("What is measured", "Targets", "Commands")
    )
    assert headings.index("Results") == 0, headings
    for results in ("Reading the results", "Keras names", "PyTorch backend"):
        assert headings.index(results) < first_method, headings
    assert headings[-1] == "Commands"
    # The commands stayed.
    for script in (
        "bench_activations.py",
        "bench_train_step.py",
        "bench_models.py",
        "bench_shapes.py",
        "bench_torch.py",
        "bench_keras_names.py",
    ):
        assert f"python benchmarks/{script}" in text, script


def test_infinity_columns_match_the_float64_references():
    # The guarantees page's f(-inf) / f(+inf) cells: "no limit" exactly where
    # the independent float64 reference has none (sine), else the reference's
    # limit (to the page's rounding).
    gen_docs = _gen_docs()
    for name in keras_acts.names():
        spec = keras_acts.info(name)
        if not spec.elementwise:
            continue
        cells = gen_docs.infinity_limits(spec)
        for sign, cell in zip((-1.0, 1.0), cells, strict=True):
            expected = limit(REFERENCES[name], sign)
            if np.isnan(expected):
                assert cell.startswith("no limit"), (name, sign, cell)
            else:
                assert float(cell) == pytest.approx(expected, rel=1e-3, abs=1e-6), (
                    name,
                    sign,
                    cell,
                )
