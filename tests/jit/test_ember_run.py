"""`ember run` of a script that uses torch.compile gets ember's recorder and replayer."""

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.slow
def test_torch_compile_in_a_script_replays(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            import torch
            import torch.nn as nn

            torch.manual_seed(0)
            model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
            compiled = torch.compile(model)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            x, y = torch.randn(16, 4), torch.randn(16, 1)
            for _ in range(5):
                opt.zero_grad()
                loss = ((compiled(x) - y) ** 2).mean()
                loss.backward()
                opt.step()
            print(type(compiled).__name__, loss.grad_fn is not None)
            print(compiled(x).grad_fn.name())
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "ember.cli.main", "run", "script.py"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["OptimizedModule True", "CompiledFunctionBackward"]
