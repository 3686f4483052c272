"""The paper-reproduction scripts (benchmarks/paper/) run in --quick mode and show the effects.

Each script writes its figure and a markdown fragment of results; ``doc/paper_results.md``
includes the committed fragments, so the tables on that page are the scripts' own output.
"""

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAPER_DIR = ROOT / "benchmarks" / "paper"
NAMES = [
    "fig1_alignment",
    "fig2_staircase",
    "fig3_sample_complexity",
    "fig4_linear_removal",
    "fig5_alternating",
]


def _load(name):
    if str(PAPER_DIR) not in sys.path:
        sys.path.insert(0, str(PAPER_DIR))
    spec = importlib.util.spec_from_file_location(f"paper_{name}", PAPER_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(name, tmp_path, capsys):
    argv = ["--quick", "--out", str(tmp_path)]
    result = _load(name).main(argv)
    printed = capsys.readouterr().out
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000  # a real PNG was written
    # and the results fragment beside it: command, machine, date and the tables
    fragment = (tmp_path / f"{name}.md").read_text(encoding="utf-8")
    assert f"- command: `python benchmarks/paper/{name}.py --quick --out {tmp_path}`" in fragment
    for line in ("- machine: ", "- date: ", "- code: ", "- seeds: [0, 1] (--quick)", "|---|"):
        assert line in fragment, line
    assert fragment.startswith("---\norphan: true\n---\n")  # a page of its own in the docs
    assert "|---|" in printed
    return result, fragment


def test_fig1_alignment_rises_with_n_and_only_one_direction(tmp_path, capsys):
    res, _ = _run("fig1_alignment", tmp_path, capsys)
    level = 1 / np.sqrt(res["d"])
    for learned, other in (
        ("single-index: theta", "single-index: orthogonal"),
        ("T1: v*", "T1: v_perp"),
    ):
        curve = res[learned].mean(axis=0)
        assert np.all(np.diff(curve) > 0), curve  # alignment rises with n/d
        assert curve[-1] > 0.7 and curve[-1] > 4 * level
        # the other direction stays at the random level (one step learns one direction)
        assert np.all(res[other].mean(axis=0) < 1.3 * level)


def test_fig2_staircase_t2_learns_second_direction_t2prime_does_not(tmp_path, capsys):
    res, _ = _run("fig2_staircase", tmp_path, capsys)
    t2, control = res["T2"]["perp"].mean(axis=0), res["T2prime"]["perp"].mean(axis=0)
    assert np.all(np.diff(t2[1:]) > 0), t2  # rises step after step
    assert t2[-1] > 1.5 * control[-1]
    assert control[-1] < 1.4 / np.sqrt(res["d"])
    # and the steps lower the test error below random features (step 0)
    mse = res["T2"]["mse"].mean(axis=0)
    assert mse[-1] < 0.7 * mse[0]


def test_fig3_steps_beat_random_features_and_linear(tmp_path, capsys):
    res, fragment = _run("fig3_sample_complexity", tmp_path, capsys)
    for target in ("T1", "T2"):
        mse = {k: v.mean(axis=0) for k, v in res[target].items()}
        # at the largest n every step count beats random features and the linear model
        for k in ("1 step", "2 steps", "3 steps"):
            assert mse[k][-1] < 0.5 * mse["random features"][-1]
            assert mse[k][-1] < mse["linear (RidgeCV)"][-1]
        assert mse["1 step"][-1] < mse["1 step"][0]  # the error falls with n
    assert "## T1 (population best linear MSE 0.27)" in fragment and "log N / log d" in fragment


def test_fig4_linear_removal_learns_the_second_direction(tmp_path, capsys):
    res, _ = _run("fig4_linear_removal", tmp_path, capsys)
    removed, plain = res["linear part removed"], res["plain labels"]
    # at n = d^2 removal moves units toward v_perp, plain labels collapse onto v*
    assert removed["perp"].mean(axis=0)[-1] > 1.5 * plain["perp"].mean(axis=0)[-1]
    assert plain["star"].mean(axis=0)[-1] > 0.9
    assert removed["span"].mean(axis=0)[-1] > 0.6
    mse_removed = removed["mse"].mean(axis=0)[-1]
    assert mse_removed < plain["mse"].mean(axis=0)[-1]
    assert mse_removed < 0.6 * res["random features"]["mse"].mean(axis=0)[-1]


def test_fig5_alternating_published_recipe_oscillates_ours_is_monotone(tmp_path, capsys):
    res, _ = _run("fig5_alternating", tmp_path, capsys)
    for name in res["names"]:
        ours = res["stability"][name]["ours (default)"]
        assert all(s["rises"] == 0 for s in ours)  # the safeguarded loss never rises
    published = res["stability"]["diabetes"]["published recipe"]
    assert np.mean([s["rises"] for s in published]) >= 2  # activations flip, loss rises
    # on the signed distance function both alternating fits beat every MLP in R2
    curves = res["curves"]["sdf2d"]
    best_mlp = max(np.mean([c[-1][3] for c in curves[m]]) for m in curves if m.startswith("MLP"))
    for m in ("published recipe", "ours (default)"):
        assert np.mean([c[-1][3] for c in curves[m]]) > max(best_mlp, 0.97)


@pytest.mark.parametrize("name", NAMES)
def test_scripts_have_the_common_interface(name):
    module = _load(name)
    assert module.NAME == name and module.__doc__.strip()
    assert callable(module.main)


def test_quick_runs_never_overwrite_the_committed_results():
    common = _load("_paper_common")
    args = common.parse_args("fig1_alignment", "", ["--quick"])
    for path in (args.out, args.results):
        assert not Path(path).resolve().is_relative_to(ROOT / "doc"), path
    Path(args.out).parent.rmdir()  # the empty temporary directory
    full = common.parse_args("fig1_alignment", "", [])
    assert full.out == ROOT / "doc" / "figures" / "fig1_alignment.png"
    assert full.results == ROOT / "doc" / "paper_results" / "fig1_alignment.md"


@pytest.mark.parametrize("name", NAMES)
def test_the_page_includes_each_scripts_committed_full_run(name):
    page = (ROOT / "doc" / "paper_results.md").read_text(encoding="utf-8")
    assert re.search(rf"```{{include}} paper_results/{name}\.md\n", page), name
    assert f"](figures/{name}.png)" in page
    fragment = (ROOT / "doc" / "paper_results" / f"{name}.md").read_text(encoding="utf-8")
    # written by the script itself, with its default (full) settings
    command = re.search(r"^- command: `(.*)`$", fragment, re.MULTILINE).group(1)
    assert command.startswith(f"python benchmarks/paper/{name}.py")
    assert "--quick" not in command and "--seeds" not in command
    assert "|---|" in fragment and "- date: " in fragment
    assert (ROOT / "doc" / "figures" / f"{name}.png").stat().st_size > 10_000
