"""The paper-reproduction scripts (benchmarks/paper/) run in --quick mode and show the effects."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

PAPER_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "paper"


def _load(name):
    if str(PAPER_DIR) not in sys.path:
        sys.path.insert(0, str(PAPER_DIR))
    spec = importlib.util.spec_from_file_location(f"paper_{name}", PAPER_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(name, tmp_path, capsys):
    out = tmp_path / f"{name}.png"
    result = _load(name).main(["--quick", "--out", str(out)])
    printed = capsys.readouterr().out
    assert out.stat().st_size > 10_000  # a real PNG was written
    assert "machine:" in printed and "| " in printed  # the table behind the figure
    return result, printed


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
    res, printed = _run("fig3_sample_complexity", tmp_path, capsys)
    for target in ("T1", "T2"):
        mse = {k: v.mean(axis=0) for k, v in res[target].items()}
        # at the largest n every step count beats random features and the linear model
        for k in ("1 step", "2 steps", "3 steps"):
            assert mse[k][-1] < 0.5 * mse["random features"][-1]
            assert mse[k][-1] < mse["linear (RidgeCV)"][-1]
        assert mse["1 step"][-1] < mse["1 step"][0]  # the error falls with n
    assert "log N / log d" in printed


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


@pytest.mark.parametrize(
    "name",
    [
        "fig1_alignment",
        "fig2_staircase",
        "fig3_sample_complexity",
        "fig4_linear_removal",
        "fig5_alternating",
    ],
)
def test_scripts_have_the_common_interface(name):
    module = _load(name)
    assert module.NAME == name and module.__doc__.strip()
    assert callable(module.main)
