"""Run an experiment's --quick version into a temporary folder."""

import argparse
import importlib
import json

import pytest


@pytest.fixture
def run_quick(tmp_path, capsys):
    """run_quick("loss-landscape", *extra) -> (result dict, output folder, printed text)."""

    def run(name, *extra):
        module = importlib.import_module("ember.experiments." + name.replace("-", "_"))
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        out = tmp_path / name
        result = module.run(parser.parse_args(["--quick", "--out", str(out), *extra]))
        assert json.loads((out / "results.json").read_text()) == json.loads(json.dumps(result))
        return result, out, capsys.readouterr().out

    return run


@pytest.fixture
def has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True
