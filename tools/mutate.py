"""Mutation testing of the core with cosmic-ray (``make mutate``; docs/testing.md).

Each target (a source file) is mutated in its own copy of the tracked tree under
``build/mutation/<name>``, so the working tree is never touched and two targets run side by side.
The targets are ``autograd/engine.py``, ``autograd/function.py`` and a sample of ``ops/`` files
that rotates weekly (``--ops`` picks files instead). Each mutant runs the fast tests of its file
with ``-x``: the first failure kills it.

    python tools/mutate.py [--ops shape.py reduce.py] [--jobs 2] [--only engine]
"""

from __future__ import annotations

import argparse
import ast
import datetime
import os
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "mutation"
BIN = Path(sys.executable).parent
PYTEST = f"{sys.executable} -m pytest -x -q -p no:cacheprovider"

# the engine's own tests, less the 10,000-node chain (seconds) and the thread and property tests
AUTOGRAD_TESTS = " ".join(
    [
        *(
            f"tests/autograd/test_{name}.py"
            for name in (
                "engine_paths",
                "engine_details",
                "engine",
                "function",
                "modes_and_hooks",
                "inplace",
            )
        ),
        "tests/autograd/test_gradcheck.py",
        "--deselect tests/autograd/test_engine.py::test_long_chain_has_no_recursion_limit",
    ]
)
ROUNDING_TESTS = "tests/ops/test_rounding.py tests/ops/test_surface.py"
# ops file -> (op-spec families, other test files)
OPS_TESTS = {
    "activation.py": (["elementwise", "nn"], "tests/ops/test_nn_ops.py"),
    "compare.py": (["elementwise"], "tests/ops/test_elementwise.py"),
    "conv.py": (["conv", "adjoint"], "tests/ops/test_conv.py"),
    "elementwise.py": (["elementwise"], "tests/ops/test_elementwise.py"),
    "extrema.py": (["reduce"], "tests/ops/test_reduce.py"),
    "index.py": (["index", "adjoint"], "tests/ops/test_index.py"),
    "linalg.py": (["linalg"], "tests/ops/test_linalg.py"),
    "loss.py": (["nn"], "tests/ops/test_nn_ops.py tests/nn/test_loss.py"),
    "nn.py": (["nn"], "tests/ops/test_nn_ops.py"),
    "normalization.py": (["conv"], "tests/ops/test_normalization.py"),
    "pooling.py": (["conv", "adjoint"], "tests/ops/test_conv.py"),
    "reduce.py": (["reduce"], "tests/ops/test_reduce.py"),
    "rounding.py": (
        ["scan", "elementwise"],
        "tests/ops/test_rounding.py tests/ops/test_surface.py",
    ),
    "shape.py": (["shape"], "tests/ops/test_shape.py"),
    "special.py": (["special"], "tests/ops/test_special.py"),
    "transcendental.py": (["elementwise"], "tests/ops/test_elementwise.py"),
}
# Replacements that give a crash (a TypeError on the first call: killed at no information) or,
# mostly, an equivalent mutant (``is None`` -> ``== None``); see docs/testing.md.
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_.*_(BitAnd|BitOr|BitXor|LShift|RShift|Mod|FloorDiv|Pow)$",
    r"core/ReplaceComparisonOperator_(Eq|NotEq|Is|IsNot|In|NotIn)_(Lt|LtE|Gt|GtE)$",
    r"core/ReplaceComparisonOperator_(Is_Eq|IsNot_NotEq|Eq_Is|NotEq_IsNot)$",
    r"core/ReplaceComparisonOperator_(Is_NotEq|IsNot_Eq|Eq_IsNot|NotEq_Is)$",
]


def targets(ops: list[str] | None, sample: int) -> dict[str, tuple[str, str]]:
    """name -> (module path, test command)."""
    found = {
        "engine": ("src/ember/autograd/engine.py", f"{PYTEST} {AUTOGRAD_TESTS}"),
        "function": ("src/ember/autograd/function.py", f"{PYTEST} {AUTOGRAD_TESTS}"),
    }
    names = sorted(OPS_TESTS)
    if ops is None:
        start = datetime.date.today().isocalendar().week * sample % len(names)
        ops = [names[(start + k) % len(names)] for k in range(sample)]
    for name in ops:
        families, tests = OPS_TESTS[name]
        spec_args = " ".join(f"--spec-family {f}" for f in families)
        command = f"{PYTEST} {tests} tests/ops/test_opspecs.py {spec_args}"
        found[f"ops-{name.removesuffix('.py')}"] = (f"src/ember/ops/{name}", command)
    return found


def _copy_tree(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for f in filter(None, files):
        src = ROOT / f.decode()
        if src.is_file():
            (dest / f.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f.decode())


def _config(module: str, command: str, timeout: float) -> str:
    excluded = ", ".join(f"'{e}'" for e in EXCLUDED_OPERATORS)
    return (
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f'test-command = "{command}"\n'
        '[cosmic-ray.distributor]\nname = "local"\n'
        f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n"
    )


def _annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) positions of every type annotation: never evaluated here (``from __future__
    import annotations``), so a mutant inside one is equivalent."""
    spans = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.returns
        elif isinstance(node, (ast.arg, ast.AnnAssign)):
            a = node.annotation
        else:
            continue
        if a is not None:
            spans.append(((a.lineno, a.col_offset), (a.end_lineno, a.end_col_offset)))
    return spans


def skip_annotations(session: str, tree: Path) -> None:
    """Mark the mutants inside type annotations as skipped (equivalent mutants)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans: dict[str, list] = {}
    with use_db(session, WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            for m in item.mutations:
                path = str(m.module_path)
                if path not in spans:
                    spans[path] = _annotation_spans(tree / path)
                if any(lo <= tuple(m.start_pos) < hi for lo, hi in spans[path]):
                    result = WorkResult(
                        output="inside a type annotation", worker_outcome=WorkerOutcome.SKIPPED
                    )
                    db.set_result(item.job_id, result)
                    break


def run_target(name: str, module: str, command: str, timeout: float) -> str:
    """Mutate ``module`` in a fresh copy of the tree; return the session file."""
    tree = BUILD / name
    _copy_tree(tree)
    (tree / "cosmic-ray.toml").write_text(_config(module, command, timeout))
    env = {
        **os.environ,
        "PYTHONPATH": str(tree / "src"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # a second less per mutant
    }
    session = str(BUILD / f"{name}.sqlite")
    if os.path.exists(session):
        os.remove(session)

    def cosmic(*args: object) -> None:
        subprocess.run([str(a) for a in args], cwd=tree, env=env, check=True)

    cosmic(BIN / "cosmic-ray", "init", "cosmic-ray.toml", session)
    cosmic(BIN / "cr-filter-operators", session, "cosmic-ray.toml")
    skip_annotations(session, tree)
    cosmic(BIN / "cosmic-ray", "exec", "cosmic-ray.toml", session)
    return session


def summary(session: str) -> tuple[dict[str, int], list[tuple]]:
    """Outcome counts and the surviving mutants (file, line, operator, diff)."""
    db = sqlite3.connect(session)
    counts: dict[str, int] = {}
    rows = db.execute(
        "SELECT lower(r.worker_outcome), lower(r.test_outcome), count(*) FROM work_results r "
        "GROUP BY 1, 2"
    )
    for worker, test, n in rows:
        key = "skipped" if worker == "skipped" else (test or worker)
        counts[key] = counts.get(key, 0) + n
    survivors = db.execute(
        "SELECT s.module_path, s.start_pos_row, s.operator_name, r.diff FROM work_results r "
        "JOIN mutation_specs s ON s.job_id = r.job_id "
        "WHERE lower(r.test_outcome) = 'survived' ORDER BY s.module_path, s.start_pos_row"
    ).fetchall()
    return counts, survivors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", nargs="*", help="ops files to mutate (default: weekly sample)")
    parser.add_argument("--sample", type=int, default=1, help="ops files in the weekly sample")
    parser.add_argument("--only", nargs="*", help="target names to run (engine, function, ops-*)")
    parser.add_argument("--jobs", type=int, default=2, help="targets mutated side by side")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    args = parser.parse_args()
    chosen = targets(args.ops, args.sample)
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only}
    BUILD.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {
            name: pool.submit(run_target, name, module, command, args.timeout)
            for name, (module, command) in chosen.items()
        }
        sessions = {name: f.result() for name, f in futures.items()}
    failed = False
    for name, session in sessions.items():
        counts, survivors = summary(session)
        tested = sum(v for k, v in counts.items() if k != "skipped")
        rate = 100 * len(survivors) / tested if tested else 0.0
        print(f"\n== {name}: {tested} mutants, {len(survivors)} survived ({rate:.1f}%) {counts}")
        for path, row, operator, diff in survivors:
            print(f"-- {path}:{row} {operator}\n{diff}")
        failed |= bool(survivors)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
