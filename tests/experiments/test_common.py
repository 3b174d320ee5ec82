"""The helpers the experiments share."""

import argparse

import pytest

from ember.experiments import EXPERIMENTS, common, load


def _parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int)
    parser.add_argument("--lr", type=float)
    common.add_common_arguments(parser, "demo-name")
    return parser


def test_settings_come_from_the_user_then_quick_then_defaults():
    defaults, quick = {"steps": 100, "lr": 0.1}, {"steps": 5}
    args = _parser().parse_args([])
    assert args.out == "runs/demo-name" and args.seed == 0
    assert common.resolve(args, defaults, quick) == {"steps": 100, "lr": 0.1}
    args = _parser().parse_args(["--quick"])
    assert common.resolve(args, defaults, quick) == {"steps": 5, "lr": 0.1}
    args = _parser().parse_args(["--quick", "--steps", "7", "--lr", "0.5"])
    assert common.resolve(args, defaults, quick) == {"steps": 7, "lr": 0.5}


def test_int_list():
    assert common.int_list("1,2,16") == [1, 2, 16]
    for bad in ("1,a", "0,2", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            common.int_list(bad)


def test_format_table_aligns_columns():
    text = common.format_table(["name", "value"], [["a", 0.000123456], ["long name", 12]])
    lines = text.splitlines()
    assert lines[0] == "name           value"
    assert lines[2] == "a          0.0001235"
    assert len({len(line) for line in lines}) == 1


def test_output_writes_json_and_csv(tmp_path):
    out = common.Output(tmp_path / "new" / "folder")
    out.json("a.json", {"x": [1, 2]})
    out.csv("b.csv", [{"x": 1, "y": 2.5}, {"x": 3, "y": None}])
    assert (tmp_path / "new/folder/b.csv").read_text().splitlines() == ["x,y", "1,2.5", "3,"]
    assert out.summary().count("new/folder/") == 2


@pytest.mark.parametrize(
    "name",
    ["universal-approximation", "depth-efficiency", "vanishing-gradients", "loss-landscape"],
)
def test_every_experiment_is_registered_with_the_experiment_shape(name):
    module = load(name)
    assert name in EXPERIMENTS and callable(module.add_arguments) and callable(module.run)
    assert module.__doc__.strip().splitlines()[0]
    args = _parser_for(module).parse_args([])
    assert args.out == f"runs/{name}" and args.quick is False


def _parser_for(module):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser
