"""The docs generator covers the whole registry and every public layer."""

import importlib.util
import inspect
import pathlib

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


def test_generator_covers_every_name_and_layer(tmp_path):
    gen_docs = _gen_docs()
    gen_docs.generate(tmp_path)
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
