"""The docs generator covers the whole registry and every public layer."""

import importlib.util
import pathlib

import keras_acts
from keras_acts import _cli

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _gen_docs():
    spec = importlib.util.spec_from_file_location(
        "gen_docs", ROOT / "tools" / "gen_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_covers_every_name_and_layer(tmp_path):
    gen_docs = _gen_docs()
    gen_docs.generate(tmp_path, plots=True)
    catalog = (tmp_path / "catalog.md").read_text()
    api = (tmp_path / "api.md").read_text()
    for name in keras_acts.names():
        spec = keras_acts.info(name)
        page = (tmp_path / "activations" / f"{name}.md").read_text()
        assert spec.formula in page
        assert spec.reference.url in page
        assert f"(activations/{name}.md)" in catalog
        assert f"`keras_acts.{name}`" in api
        plot = tmp_path / "activations" / f"{name}.png"
        assert plot.exists() == _cli.plottable(spec), name
    for layer in gen_docs.layer_classes():
        assert f"`keras_acts.layers.{layer}`" in api


def test_readme_catalog_is_current():
    gen_docs = _gen_docs()
    assert gen_docs.readme_block() in (ROOT / "README.md").read_text(), (
        "README.md's catalog is stale: run python tools/gen_docs.py"
    )


def test_docstring_rendering_keeps_args_and_examples():
    gen_docs = _gen_docs()
    text = gen_docs.docstring_markdown(keras_acts.swish.__doc__)
    assert "- `beta`:" in text
    assert "```python" in text
    assert "keras_acts.swish(" in text
