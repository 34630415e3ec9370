"""Scoring: the binary-classification toolkit and the bring-your-own-data `salesops scoring fit|predict`
commands, on small synthetic tables made here (no warehouse, no simulator)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from salesops.cli import main
from salesops.settings import PROJECT_ROOT

FOLDS = "3"  # fewer folds than the default keep the file fast; the default is exercised by the linear table


def _sales_table(n: int, seed: int) -> pd.DataFrame:
    """A learnable lead-conversion table with the mess analysts bring: an id, a row number, free text, blanks,
    mixed-case categories, a date, a repeated owner id and a Yes/no target."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(9, 1, n)
    region = rng.choice(["North", "north", "South", "East", ""], n, p=[0.2, 0.1, 0.3, 0.3, 0.1])
    source = rng.choice(["web", "referral", "event"], n)
    employees = rng.integers(1, 500, n)
    logit = (1.2 * (np.log(amount) - 9) + np.where(np.char.lower(region.astype(str)) == "north", 1.0, -0.3)
             + np.where(source == "referral", 1.2, 0.0) - 0.002 * employees)
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    amount_text = np.round(amount, 2).astype(str)
    amount_text[rng.random(n) < 0.1] = ""
    return pd.DataFrame({
        "lead_id": [f"L{seed}-{i:05d}" for i in range(n)],
        "line": np.arange(1, n + 1),
        "amount": amount_text,
        "employees": employees,
        "region": region,
        "source": source,
        "created": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")).strftime(
            "%Y-%m-%d"),
        "owner_id": rng.choice(["u1", "u2", "u3", "u4"], n),
        "notes": [f"called on attempt {i}" for i in range(n)],
        "converted": np.where(won, "Yes", "no"),
    })


def _run(*argv: str) -> tuple[int, str]:
    """`salesops ...` in-process: (exit code, stdout); stderr is left to capsys where a test reads it."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def _fit(train: Path, model_dir: Path, *extra: str) -> dict:
    code, out = _run("scoring", "fit", "--input", str(train), "--target", "converted", "--model-dir",
                     str(model_dir), "--folds", FOLDS, *extra)
    assert code == 0
    return json.loads(out)


def _predict(model_dir: Path, data: Path, output: Path) -> pd.DataFrame:
    code, _ = _run("scoring", "predict", "--model-dir", str(model_dir), "--input", str(data),
                   "--output", str(output))
    assert code == 0
    return pd.read_csv(output, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> dict:
    """One model on the messy sales table plus a holdout with an unseen region and an extra column."""
    root = tmp_path_factory.mktemp("scoring")
    train, holdout = root / "train.csv", root / "holdout.csv"
    _sales_table(800, seed=1).to_csv(train, index=False)
    test = _sales_table(400, seed=2)
    test.loc[::7, "region"] = "Antarctica"
    test.insert(0, "extra", "x")
    test.to_csv(holdout, index=False)
    return {"root": root, "train": train, "holdout": holdout, "model_dir": root / "model",
            "summary": _fit(train, root / "model")}


def test_fit_reports_candidates_and_ignored_columns(fitted):
    summary = fitted["summary"]
    assert summary["positive_label"] == "yes" and summary["n_rows"] == 800
    assert set(summary["ignored"]) == {"lead_id", "line", "notes"}
    assert summary["features"] == {"amount": "numeric", "employees": "numeric", "region": "categorical",
                                   "source": "categorical", "created": "date", "owner_id": "categorical"}
    assert {"logistic", "lightgbm", "lightgbm_regularised"} <= set(summary["candidates"])
    assert summary["selected"] in summary["candidates"]
    meta = json.loads((fitted["model_dir"] / "model.json").read_text())
    assert meta["cv"]["selected"] == summary["selected"] and "scikit-learn" in meta["versions"]


def test_predict_keeps_rows_and_scores_holdout(fitted):
    source = pd.read_csv(fitted["holdout"], dtype=str, keep_default_na=False)
    scored = _predict(fitted["model_dir"], fitted["holdout"], fitted["root"] / "scored.csv")
    assert list(scored.columns) == [*source.columns, "score"]
    pd.testing.assert_frame_equal(scored.drop(columns="score"), source)
    scores = scored["score"].astype(float)
    assert scores.between(0, 1).all()
    assert roc_auc_score(source["converted"] == "Yes", scores) > 0.7


def test_fit_is_deterministic(fitted, tmp_path):
    _fit(fitted["train"], tmp_path / "again")
    first = _predict(fitted["model_dir"], fitted["holdout"], tmp_path / "first.csv")
    again = _predict(tmp_path / "again", fitted["holdout"], tmp_path / "again.csv")
    assert first["score"].tolist() == again["score"].tolist()


def test_installed_entry_point_predicts(fitted, tmp_path):
    result = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "salesops"), "scoring", "predict", "--model-dir",
                             str(fitted["model_dir"]), "--input", str(fitted["holdout"]), "--output",
                             str(tmp_path / "out.csv")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n_rows"] == 400


def test_logistic_competes_on_a_linear_table_and_calibrated_models_load(tmp_path, monkeypatch):
    import ml.scoring.selection

    monkeypatch.setattr(ml.scoring.selection, "CALIBRATION_MIN_GAIN", -np.inf)  # calibrate whatever wins
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    y = rng.random(300) < 1 / (1 + np.exp(-(2 * X[:, 0] - 1.5 * X[:, 1] + X[:, 2])))
    table = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(converted=np.where(y, "true", "FALSE"))
    table.to_csv(tmp_path / "linear.csv", index=False)
    code, out = _run("scoring", "fit", "--input", str(tmp_path / "linear.csv"), "--target", "converted",
                     "--model-dir", str(tmp_path / "model"))
    summary = json.loads(out)
    assert code == 0 and summary["positive_label"] == "true"
    scores = summary["candidates"]
    assert scores["logistic"]["log_loss"] <= scores["lightgbm"]["log_loss"]
    assert summary["calibration"]["method"] == "sigmoid" and summary["calibration"]["applied"]
    scored = _predict(tmp_path / "model", tmp_path / "linear.csv", tmp_path / "scored.csv")
    assert roc_auc_score(y, scored["score"].astype(float)) > 0.8


@pytest.mark.parametrize(("labels", "positive", "expected", "n_positive"), [
    (["Yes", "no"], None, "yes", 12),
    (["TRUE", "false"], None, "true", 12),
    (["1.0", "0"], None, "1", 12),
    (["n", "Y"], None, "y", 30),
    (["won", "lost"], None, "won", 12),  # the minority label
    (["won", "lost"], "Lost", "lost", 30),
])
def test_target_labels(labels, positive, expected, n_positive):
    from ml.scoring.target import parse_target

    column = pd.Series([labels[0]] * 12 + [labels[1]] * 30 + [""] * 3, name="t")
    target = parse_target(column, positive)
    assert target.positive_label == expected
    assert target.kept.sum() == 42 and target.y.sum() == n_positive


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("case", "message"), [
    ("no_target", "target column 'converted' not in"),
    ("one_class", "one class"),
    ("empty", "is empty"),
    ("header_only", "no data rows"),
    ("no_model", "run `salesops scoring fit` first"),
    ("text_in_numeric", "column 'employees' was numeric when the model was fitted but has 1 value(s) that are not, "
                        "e.g. 'many'"),
    ("missing_feature", "lacks feature column(s) ['amount']"),
])
def test_errors_are_clear(case, message, fitted, tmp_path, capsys):
    holdout = pd.read_csv(fitted["holdout"], dtype=str, keep_default_na=False)
    fit = ["scoring", "fit", "--model-dir", str(tmp_path / "m"), "--target", "converted", "--input"]
    predict = ["scoring", "predict", "--model-dir", str(fitted["model_dir"]), "--output", str(tmp_path / "o.csv"),
               "--input"]
    argv = {
        "no_target": [*fit, _write(tmp_path / "no_target.csv", "x,y\n1,2\n")],
        "one_class": [*fit, _write(tmp_path / "one_class.csv", "x,converted\n" + "1,yes\n" * 30)],
        "empty": [*fit, _write(tmp_path / "empty.csv", "")],
        "header_only": [*predict, _write(tmp_path / "header_only.csv", "x,converted\n")],
        "no_model": ["scoring", "predict", "--model-dir", str(tmp_path / "nowhere"), "--input",
                     str(fitted["holdout"]), "--output", str(tmp_path / "o.csv")],
        "text_in_numeric": [*predict, _write(tmp_path / "text_in_numeric.csv", holdout.assign(
            employees=["many", *holdout["employees"][1:]]).to_csv(index=False))],
        "missing_feature": [*predict, _write(tmp_path / "missing_feature.csv",
                                             holdout.drop(columns="amount").to_csv(index=False))],
    }[case]
    code, _ = _run(*argv)
    assert code == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_calibration_method_switches_at_isotonic_min_rows():
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    from ml.scoring.calibration import ISOTONIC_MIN_ROWS, calibrate

    rng = np.random.default_rng(4)
    X = rng.normal(size=(ISOTONIC_MIN_ROWS + 1500, 3))
    y = (X[:, 0] + rng.normal(size=len(X)) > 0).astype(int)
    model = LogisticRegression().fit(X[:500], y[:500])
    small = calibrate(model, X[500:1400], y[500:1400])
    large = calibrate(model, X[500:], y[500:])
    assert (small.method, large.method) == ("sigmoid", "isotonic")
    assert isinstance(large.calibrated_classifiers_[0].calibrators[0], IsotonicRegression)
    assert small.predict_proba(X[:5]).shape == (5, 2)


def test_top_reasons_add_up_to_the_raw_score():
    from ml.scoring.explain import contributions, format_reason, top_reasons
    from ml.scoring.lgbm import train_lgbm
    from ml.scoring.metrics import binary_metrics

    rng = np.random.default_rng(5)
    X = pd.DataFrame({"days_in_stage": rng.integers(0, 90, 1200).astype(float), "amount": rng.normal(size=1200),
                      "stage": pd.Categorical(rng.choice(["qualify", "propose", "negotiate"], 1200))})
    y = ((X["stage"] == "negotiate") * 1.5 - X["days_in_stage"] / 30 + rng.normal(size=1200) > -1).to_numpy(int)
    model = train_lgbm(X[:800], y[:800], X[800:1000], y[800:1000], seed=1)
    test = X[1000:]
    assert binary_metrics(y[1000:], model.predict_proba(test)[:, 1])["auc"] > 0.7
    values, bias = contributions(model, test)
    raw = model.predict(test, raw_score=True)
    np.testing.assert_allclose(values.sum(axis=1) + bias, raw, rtol=1e-6, atol=1e-6)
    reasons = top_reasons(model, test, k=2)
    assert len(reasons) == len(test) and all(len(row) == 2 for row in reasons)
    assert all(abs(row[0][1]) >= abs(row[1][1]) for row in reasons)
    assert format_reason("days_in_stage", 0.4213) == "days_in_stage +0.42"


def test_metrics_and_time_split():
    from ml.scoring.metrics import binary_metrics
    from ml.scoring.splits import time_split

    metrics = binary_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert metrics["auc"] == 0.75 and metrics["n"] == 4 and metrics["positive_rate"] == 0.5
    assert np.isfinite(binary_metrics(np.array([0, 1]), np.array([1.0, 0.0]))["log_loss"])
    frame = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=100).repeat(2), "v": range(200)})
    split = time_split(frame, "day")
    assert len(split.train) + len(split.valid) + len(split.test) == 200
    assert split.train["day"].max() < split.valid["day"].min() <= split.valid["day"].max() < split.test["day"].min()
    fixed = time_split(frame, "day", valid_start="2024-03-01", test_start="2024-04-01")
    assert fixed.valid["day"].min() == pd.Timestamp("2024-03-01") and len(fixed.test) == 2 * 9


def test_package_import_is_light():
    code = "import sys, ml.scoring; assert not {'lightgbm', 'sklearn'} & set(sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT, timeout=60)
