"""`salesops forecast predict|backtest`: forecast one series from a CSV, the model picked per series by
rolling-origin backtest (see `ml.forecasting`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from ml.forecasting import BacktestResult

FREQUENCIES = ("MS", "QS", "W-MON")  # mirrors ml.forecasting.SEASON_LENGTHS, kept here so --help stays import-free


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def _add_series_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, help="CSV file with one row per period (header row required)")
    parser.add_argument("--date-col", default="ds", help="column holding the period start dates (default: ds)")
    parser.add_argument("--value-col", default="y", help="column holding the numeric values (default: y)")
    parser.add_argument("--freq", required=True, choices=FREQUENCIES,
                        help="period of the series: MS month starts, QS quarter starts (Jan/Apr/Jul/Oct), W-MON "
                             "weeks starting Monday; dates must be those period starts, without gaps")
    parser.add_argument("--horizon", required=True, type=_positive_int, help="number of periods to forecast")
    parser.add_argument("--folds", type=_positive_int, default=3,
                        help="rolling-origin backtest folds used to choose the model (default: 3)")
    parser.add_argument("--candidates",
                        help="comma-separated models to consider (default: all of seasonal_naive, naive, ets, "
                             "theta, sarima, prophet, combo)")
    parser.add_argument("--no-prophet", action="store_true",
                        help="leave Prophet out of the candidates (faster; it rarely wins on monthly sales)")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("forecast", help="forecast a series from a CSV, model chosen by backtest")
    actions = parser.add_subparsers(dest="action", required=True)
    predict = actions.add_parser(
        "predict", help="forecast the next periods of a series",
        description="Backtest the candidates, refit the best on the whole input and write the next --horizon "
                    "periods as ds,yhat,yhat_lower,yhat_upper (95% interval),yhat_lower_80,yhat_upper_80. "
                    "A summary of the chosen model goes to stderr.")
    _add_series_arguments(predict)
    predict.add_argument("--output", default="-", help="CSV file to write, or - for stdout (default: -)")
    predict.set_defaults(handler=_predict)
    backtest = actions.add_parser(
        "backtest", help="compare the candidates' backtest accuracy on a series",
        description="Print each candidate's MASE, sMAPE (0-200), bias and 80%/95% interval coverage over the "
                    "rolling-origin folds, the models dropped and why, and the selection.")
    _add_series_arguments(backtest)
    backtest.set_defaults(handler=_backtest)


def _load(args: argparse.Namespace) -> pd.Series:
    import pandas as pd

    from ml.forecasting import series_from_frame

    # read as text so an error can quote the value exactly as it appears in the file
    frame = pd.read_csv(args.input, dtype=str, keep_default_na=False)
    return series_from_frame(frame, args.date_col, args.value_col)


def _candidates(args: argparse.Namespace) -> list[str] | None:
    from ml.forecasting import ALL_CANDIDATES

    names = [name.strip() for name in args.candidates.split(",") if name.strip()] if args.candidates else None
    if args.no_prophet:
        names = [name for name in names or ALL_CANDIDATES if name != "prophet"]
    return names


def _dropped_lines(result: BacktestResult) -> list[str]:
    return [f"dropped {name}: {reason}" for name, reason in result.dropped.items()]


def _predict(args: argparse.Namespace) -> int:
    from ml.forecasting import forecast

    frame, result = forecast(_load(args), args.horizon, freq=args.freq, folds=args.folds,
                             candidates=_candidates(args))
    frame.to_csv(sys.stdout if args.output == "-" else args.output, index=False, date_format="%Y-%m-%d")
    best = result.metrics.set_index("candidate").loc[result.selected]
    weights = ", ".join(f"{name} {weight:.2f}" for name, weight in result.weights.items())
    summary = [f"selected {result.selected} ({weights}): backtest MASE {best['mase']:.3f}, sMAPE {best['smape']:.1f}, "
               f"coverage {best['coverage_80']:.0%} (80%) / {best['coverage_95']:.0%} (95%) over {int(best['folds'])} "
               f"folds", *_dropped_lines(result)]
    if args.output != "-":
        summary.append(f"wrote {len(frame)} rows to {args.output}")
    print("\n".join(summary), file=sys.stderr)
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from ml.forecasting import backtest

    result = backtest(_load(args), args.horizon, folds=args.folds, freq=args.freq, candidates=_candidates(args))
    origins = ", ".join(str(origin.date()) for origin in result.origins)
    table = result.metrics.rename(columns={"mase": "MASE", "smape": "sMAPE", "coverage_80": "cover80",
                                           "coverage_95": "cover95"})
    print(f"horizon {args.horizon}, {args.folds} folds trained up to {origins}; season length {result.season_length}")
    print(table.to_string(index=False, formatters={
        "MASE": "{:.3f}".format, "sMAPE": "{:.2f}".format, "bias": "{:+.1%}".format,
        "cover80": "{:.0%}".format, "cover95": "{:.0%}".format}))
    print("\n".join([*_dropped_lines(result), f"selected: {result.selected}"]))
    return 0
