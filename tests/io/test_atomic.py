"""A process killed while saving leaves either the old or the new checkpoint, never a broken one."""

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ember
from ember.io import atomic_write

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")

WRITER = """
import sys
import numpy as np
import ember

path, start = sys.argv[1], int(sys.argv[2])
for version in range(start, start + 10_000):
    n = 500_000 + 250_000 * (version % 7)
    ember.save({"version": version, "w": ember.full((n,), float(version))}, path)
    print(version, flush=True)
"""


def _check(path):
    checkpoint = ember.load(path)
    version, w = checkpoint["version"], checkpoint["w"].numpy()
    assert w.shape == (500_000 + 250_000 * (version % 7),)
    assert np.all(w == version)
    return version


@pytest.mark.slow  # five child processes, each importing ember
def test_sigkill_during_repeated_saves_leaves_a_whole_checkpoint(tmp_path):
    path = str(tmp_path / "ckpt.safetensors")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC))
    rng = random.Random(0)
    for round_ in range(5):
        start = round_ * 10_000
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, path, str(start)],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            assert int(proc.stdout.readline()) == start  # one whole save done this round
            time.sleep(rng.uniform(0.02, 0.4))  # a random moment, most often inside a save
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            finished = [int(line) for line in proc.stdout.read().split()]
        finally:
            proc.kill()
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL  # killed mid-run, not finished
        version = _check(path)
        last = max([start, *finished])
        assert last <= version <= last + 1  # the last finished save or the one in flight


def test_atomic_write_removes_the_temporary_file_on_error(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(path) as tmp:
        with open(tmp, "w") as f:
            f.write("new")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["f"]
    with atomic_write(path) as tmp, open(tmp, "w") as f:
        f.write("new")
    assert path.read_text() == "new" and os.listdir(tmp_path) == ["f"]
