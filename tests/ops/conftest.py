"""``--spec-family NAME`` keeps only the op-spec tests of ``specs_NAME.py`` (the mutation runs use
it to test one ops file quickly); other tests are unaffected."""

import importlib

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--spec-family",
        action="append",
        default=[],
        help="run only the op-spec tests from tests/ops/specs_NAME.py (repeatable)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    families = config.getoption("--spec-family")
    if not families:
        return
    keep = set()
    for name in families:
        keep.update(id(s) for s in importlib.import_module(f"tests.ops.specs_{name}").SPECS)
    selected, deselected = [], []
    for item in items:
        spec = getattr(item, "callspec", None) and item.callspec.params.get("spec")
        (deselected if spec is not None and id(spec) not in keep else selected).append(item)
    config.hook.pytest_deselected(items=deselected)
    items[:] = selected
