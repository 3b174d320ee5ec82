"""`ember run SCRIPT.py`: torch served by ember in that process only, run as python runs it."""

import os
import subprocess
import sys
import textwrap

import pytest

import ember
from ember.run import main as run_main
from ember.run import torch_alias


def _run(tmp_path, source, *args, via=("-m", "ember.run")):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, *via, "script.py", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.fixture
def torch_view():
    """``import torch`` served by ember inside this test, undone afterwards."""
    saved_meta_path = list(sys.meta_path)
    real = {n: m for n, m in sys.modules.items() if n == "torch" or n.startswith("torch.")}
    for name in real:  # the real torch, imported by an earlier test, must not answer here
        del sys.modules[name]
    torch_alias.install()
    yield
    sys.meta_path[:] = saved_meta_path
    for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
        del sys.modules[name]
    sys.modules.update(real)
    torch_alias._modules.clear()


@pytest.fixture
def run_here(torch_view, tmp_path, monkeypatch, capsys):
    """``run("SOURCE", *args)``: the script through ``ember.run`` in this process (no Python
    start, no second import of ember), everything it changes undone; (status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])

    def run(source, *args, script="script.py"):
        (tmp_path / "script.py").write_text(textwrap.dedent(source))
        status = run_main([script, *args] if script else list(args))
        printed = capsys.readouterr()
        return status, printed.out, printed.err

    return run


@pytest.mark.slow
def test_the_script_sees_what_python_gives_it(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 7\n")
    result = _run(
        tmp_path,
        """
        import os, sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader
        import helper  # the script's directory comes first on sys.path
        print(__name__, sys.argv[1:], __file__ == os.path.abspath("script.py"), helper.VALUE)
        print(torch.__name__, torch.__version__, nn.__name__, F.__name__, DataLoader.__module__)
        print(sys.path[0] == os.path.dirname(os.path.realpath(__file__)))
        sys.exit(3)
        """,
        "--lr",
        "0.1",
        via=("-m", "ember.cli.main", "run"),
    )
    assert result.returncode == 3, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "__main__ ['--lr', '0.1'] True 7"
    expected = f"ember {ember.__version__} ember.nn ember.nn.functional ember.data.dataloader"
    assert lines[1] == expected
    assert lines[2] == "True"


def test_a_failing_script_exits_1_with_its_own_traceback(run_here):
    status, _, err = run_here("import torch\n\ndef f():\n    raise ValueError('boom')\n\nf()\n")
    assert status == 1
    lines = err.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1].endswith('script.py", line 6, in <module>')  # no frame of the runner
    assert lines[-1] == "ValueError: boom"


def test_a_missing_name_names_torch_and_the_script_line(run_here):
    status, _, err = run_here(
        """
        import torch
        assert not hasattr(torch, "no_such_function")
        assert getattr(torch.nn, "NoSuchLayer", None) is None
        x = torch.no_such_function(1)
        """,
    )
    assert status == 1
    last = err.splitlines()[-1]
    assert "NotInEmberError: ember does not provide torch.no_such_function" in last
    assert "script.py, line 5" in last
    assert "torch_alias.py" not in err  # the lookup's own frames are not shown


def test_a_missing_tensor_method_is_named_as_torch_spells_it(run_here):
    status, _, err = run_here("import torch\ntorch.ones(2).no_such_method()\n")
    assert status == 1
    assert err.splitlines()[-1] == "ember does not provide torch.Tensor.no_such_method"


def test_a_missing_module_is_an_import_error_that_names_it(run_here):
    status, out, err = run_here(
        """
        try:
            import torch.no_such_module
        except ImportError as e:
            print(e)
        """,
    )
    assert status == 0, err
    assert out.startswith("ember does not provide torch.no_such_module (")


@pytest.mark.slow
def test_torch_is_not_installed_or_shadowed_for_other_processes(tmp_path):
    assert _run(tmp_path, "import torch\n").returncode == 0
    # where a plain process would import torch from, found without importing it (seconds)
    find = "import importlib.util as u; s = u.find_spec('torch'); print(s and s.origin)"
    plain = subprocess.run(
        [sys.executable, "-c", find], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert plain.returncode == 0, plain.stderr
    origin = plain.stdout.strip()
    if origin != "None":  # torch is installed: the real one, not a view of ember
        assert origin.endswith(os.path.join("torch", "__init__.py")) and "ember" not in origin
    assert not any(p.name.startswith("torch") for p in tmp_path.iterdir())


def test_help_and_a_missing_script(run_here):
    status, out, _ = run_here("", "--help", script=None)
    assert status == 0 and "SCRIPT.py" in out
    status, _, err = run_here("", script="missing.py")
    assert status == 2 and "can't open file 'missing.py'" in err


def test_views_forward_to_ember_and_never_replace_its_modules(torch_view):
    import torch
    import torch.nn
    import torch.utils.data

    assert torch.__name__ == "ember" and torch.Tensor is ember.Tensor
    assert ember.nn is not torch.nn and ember.nn.Linear is torch.nn.Linear
    assert torch.utils.data.DataLoader is ember.data.DataLoader
    assert sys.modules["torch.utils.data"] is torch.utils.data
    torch.nn.some_setting = 5  # a setting written through the view lands on ember's module
    assert ember.nn.some_setting == 5
    del torch.nn.some_setting
    assert not hasattr(ember.nn, "some_setting")
    torch.nn.some_function = len  # functions are kept by the view once looked up ...
    assert torch.nn.some_function is len and torch.nn.__dict__["some_function"] is len
    torch.nn.some_function = abs  # ... and a rebinding through the view replaces both
    assert ember.nn.some_function is abs and torch.nn.some_function is abs
    del torch.nn.some_function
    assert not hasattr(ember.nn, "some_function") and not hasattr(torch.nn, "some_function")
    assert "Linear" in dir(torch.nn) and "Linear" in torch.nn.__all__
    with pytest.raises(torch_alias.NotInEmberError, match=r"torch\.nn\.NoSuchLayer"):
        torch.nn.NoSuchLayer  # noqa: B018
    assert os.path.dirname(torch.__file__) == os.path.dirname(ember.__file__)
