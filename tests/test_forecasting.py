"""Forecasting library and `salesops forecast` CLI on small synthetic series (no database needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.forecasting import (
    ForecastInputError,
    Hierarchy,
    backtest,
    blend,
    forecast,
    hierarchy_from_frame,
    reconcile,
    reconcile_forecasts,
)
from salesops.cli import main

FAST = ["seasonal_naive", "naive", "ets", "theta"]
OUTPUT_COLUMNS = ["ds", "yhat", "yhat_lower", "yhat_upper", "yhat_lower_80", "yhat_upper_80"]


def seasonal_series(periods: int = 40, freq: str = "MS", season: int = 12, seed: int = 0) -> pd.Series:
    """Trend plus a strong seasonal swing plus noise, on period-start dates."""
    t = np.arange(periods)
    values = 500 + 2 * t + 100 * np.sin(2 * np.pi * t / season) + np.random.default_rng(seed).normal(0, 5, periods)
    return pd.Series(values, index=pd.date_range("2021-01-04" if freq == "W-MON" else "2021-01-01", periods=periods,
                                                 freq=freq))


def write_csv(path: Path, series: pd.Series) -> Path:
    pd.DataFrame({"month": series.index.strftime("%Y-%m-%d"), "bookings": series.to_numpy()}).to_csv(path, index=False)
    return path


def cli(*args: str) -> int:
    return main(["forecast", *args])


def test_predict_writes_horizon_rows_with_intervals(tmp_path: Path) -> None:
    series = seasonal_series()
    source, output = write_csv(tmp_path / "in.csv", series), tmp_path / "out.csv"
    code = cli("predict", "--input", str(source), "--date-col", "month", "--value-col", "bookings", "--freq", "MS",
               "--horizon", "6", "--output", str(output), "--candidates", ",".join(FAST))
    assert code == 0
    result = pd.read_csv(output, parse_dates=["ds"])
    assert list(result.columns) == OUTPUT_COLUMNS
    assert list(result["ds"]) == list(pd.date_range("2024-05-01", periods=6, freq="MS"))
    assert (result["yhat_lower"] <= result["yhat_lower_80"]).all()
    assert (result["yhat_lower_80"] <= result["yhat"]).all() and (result["yhat"] <= result["yhat_upper_80"]).all()
    assert (result["yhat_upper_80"] <= result["yhat_upper"]).all()


def test_backtest_prints_every_candidate_and_the_selection(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = write_csv(tmp_path / "in.csv", seasonal_series())
    candidates = [*FAST, "sarima", "combo"]
    code = cli("backtest", "--input", str(source), "--date-col", "month", "--value-col", "bookings", "--freq", "MS",
               "--horizon", "12", "--folds", "2", "--candidates", ",".join(candidates))
    out = capsys.readouterr().out
    assert code == 0
    assert "MASE" in out and "sMAPE" in out
    for name in candidates:
        assert name in out
    assert "selected: " in out.splitlines()[-1]


def test_strongly_seasonal_series_selects_a_seasonal_model_that_beats_the_random_walk() -> None:
    result = backtest(seasonal_series(48), horizon=12, candidates=[*FAST, "sarima", "combo"])
    scores = result.metrics.set_index("candidate")
    assert result.selected != "naive"
    assert scores.loc[result.selected, "mase"] < 1
    assert scores.loc[result.selected, "mase"] < scores.loc["naive", "mase"]
    assert set(result.metrics.columns) == {"candidate", "mase", "smape", "bias", "coverage_80", "coverage_95", "folds"}
    assert sum(result.weights.values()) == pytest.approx(1)


def test_forecast_is_deterministic_including_prophet() -> None:
    series = seasonal_series(36)
    candidates = ["naive", "ets", "prophet"]
    first_frame, first = forecast(series, 6, candidates=candidates)
    second_frame, second = forecast(series, 6, candidates=candidates)
    pd.testing.assert_frame_equal(first_frame, second_frame)
    pd.testing.assert_frame_equal(first.metrics, second.metrics)
    assert "prophet" in set(first.metrics["candidate"])


def test_short_weekly_history_degrades_seasonality_and_drops_what_cannot_fit() -> None:
    frame, result = forecast(seasonal_series(45, freq="W-MON", season=52), 4, freq="W-MON", candidates=FAST)
    assert "needs more than 52" in result.dropped["seasonal_naive"]
    assert {"naive", "ets", "theta"} <= set(result.metrics["candidate"])
    assert frame["ds"].iloc[0] == seasonal_series(45, freq="W-MON").index[-1] + pd.Timedelta(weeks=1)


def test_reconciled_children_sum_to_parents() -> None:
    leaves = pd.DataFrame([("Acme", region, f"{region}-t{team}", f"rep{rep}")
                           for region in ("EMEA", "AMER") for team in (1, 2) for rep in range(3)],
                          columns=["company", "region", "team", "rep"])
    hierarchy = hierarchy_from_frame(leaves, ["company", "region", "team", "rep"])
    assert len(hierarchy.nodes) == 1 + 2 + 4 + 12
    base = pd.DataFrame(np.random.default_rng(1).uniform(10, 100, (3, len(hierarchy.nodes))), columns=hierarchy.nodes)
    for method in ("bottom_up", "ols", "wls_struct"):
        coherent = reconcile(base, hierarchy, method)
        for parent in set(hierarchy.nodes) - set(hierarchy.leaves):
            children = [node for node in hierarchy.nodes if node.rpartition("/")[0] == parent]
            assert children
            np.testing.assert_allclose(coherent[parent], coherent[children].sum(axis=1), rtol=1e-12)
    already_coherent = reconcile(base, hierarchy, "bottom_up")
    pd.testing.assert_frame_equal(reconcile(already_coherent, hierarchy, "wls_struct"), already_coherent)


def test_reconcile_forecasts_keeps_interval_widths_and_blend_mixes_near_steps() -> None:
    hierarchy = Hierarchy.from_leaf_ancestors({"a": ["total"], "b": ["total"]})
    dates = pd.date_range("2025-01-01", periods=3, freq="MS")
    long = pd.DataFrame({"node": np.repeat(["total", "a", "b"], 3), "ds": np.tile(dates, 3),
                         "yhat": [30.0] * 3 + [10.0] * 3 + [15.0] * 3})
    long = long.assign(yhat_lower=long["yhat"] - 1, yhat_upper=long["yhat"] + 1)
    out = reconcile_forecasts(long, hierarchy).set_index(["node", "ds"])
    assert out.loc["total", "yhat"].tolist() == pytest.approx((out.loc["a", "yhat"] + out.loc["b", "yhat"]).tolist())
    assert (out["yhat_upper"] - out["yhat_lower"]).tolist() == pytest.approx([2.0] * 9)

    base = pd.DataFrame({"ds": dates, "yhat": [10.0, 10.0, 10.0], "yhat_lower": 8.0, "yhat_upper": 12.0})
    mixed = blend(base, pd.DataFrame({"ds": dates, "yhat": [20.0, 20.0, 20.0]}), [1.0, 0.5])
    assert mixed["yhat"].tolist() == [20.0, 15.0, 10.0]
    assert mixed["yhat_lower"].tolist() == [18.0, 13.0, 8.0]


@pytest.mark.parametrize(("rows", "value_col", "horizon", "bad_row", "message"), [
    (40, "revenue", "3", None, "column 'revenue' not found; available columns: month, bookings"),
    (12, "bookings", "12", None, "series has 12 observations; horizon 12 with 3 backtest fold(s) needs at least 22"),
    (40, "bookings", "3", 4, "data row 5: 'lots' in column 'bookings' is not a valid numeric value"),
])
def test_cli_rejects_bad_input_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture, rows: int,
                                                     value_col: str, horizon: str, bad_row: int | None,
                                                     message: str) -> None:
    source = write_csv(tmp_path / "in.csv", seasonal_series(rows))
    if bad_row is not None:
        frame = pd.read_csv(source, dtype=str)
        frame.loc[bad_row, "bookings"] = "lots"
        frame.to_csv(source, index=False)
    code = cli("predict", "--input", str(source), "--date-col", "month", "--value-col", value_col, "--freq", "MS",
               "--horizon", horizon, "--candidates", "naive")
    assert code != 0
    assert message in capsys.readouterr().err


def test_library_rejects_dates_off_the_frequency() -> None:
    series = seasonal_series(30)
    series.index = series.index + pd.Timedelta(days=14)
    with pytest.raises(ForecastInputError, match="not a MS period start"):
        forecast(series, 3, candidates=["naive"])


def test_entry_point_runs_and_import_stays_light(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", seasonal_series(30))
    salesops = Path(sys.executable).with_name("salesops")
    run = subprocess.run([str(salesops), "forecast", "predict", "--input", str(source), "--date-col", "month",
                          "--value-col", "bookings", "--freq", "MS", "--horizon", "3",
                          "--candidates", "naive,seasonal_naive"], capture_output=True, text=True, check=True)
    assert run.stdout.splitlines()[0] == ",".join(OUTPUT_COLUMNS) and len(run.stdout.splitlines()) == 4
    assert "selected " in run.stderr
    probe = "import sys, ml.forecasting; print(any(m in sys.modules for m in ('prophet', 'statsmodels')))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "False\n"
