"""`salesops scoring fit|predict`: binary scoring on any CSV for analysts; the rules each step applies are
documented in `ml.scoring.tabular`, `ml.scoring.schema`, `ml.scoring.target` and `ml.scoring.selection`."""

from __future__ import annotations

import argparse
import json
import sys


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("scoring", help="fit and apply a binary classifier on your own CSV")
    actions = parser.add_subparsers(dest="action", required=True)
    fit = actions.add_parser(
        "fit", help="pick a model by cross-validation and save it",
        description="Fit a binary classifier on a CSV: logistic regression and LightGBM compete on stratified "
                    "K-fold log loss, the winner is refitted on all rows. Identifier-like, constant and empty "
                    "columns are ignored (listed in the output); dates (2024-03-31 or 3/31/2024) become day "
                    "count, month and weekday. Writes model.skops and model.json; prints a JSON summary.")
    fit.add_argument("--input", required=True, help="training CSV with a header row")
    fit.add_argument("--target", required=True, help="column to predict (two labels, e.g. yes/no, true/false, 1/0)")
    fit.add_argument("--model-dir", required=True, help="directory to write model.skops and model.json to")
    fit.add_argument("--positive", help="the positive label; default: yes/y/true/t/1 if one label is spelled so, "
                                        "else the minority label")
    fit.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    fit.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    fit.set_defaults(handler=_fit)
    predict = actions.add_parser(
        "predict", help="score a CSV with a fitted model",
        description="Write the input columns plus `score`, the probability of the positive label, one row per "
                    "input row in input order. Extra columns (the target too) are ignored; a missing feature "
                    "column is an error.")
    predict.add_argument("--model-dir", required=True, help="directory written by `salesops scoring fit`")
    predict.add_argument("--input", required=True, help="CSV to score")
    predict.add_argument("--output", required=True, help="CSV to write")
    predict.set_defaults(handler=_predict)


def _fit(args: argparse.Namespace) -> int:
    from ml.scoring.tabular import fit_table

    summary = fit_table(args.input, args.target, args.model_dir, positive=args.positive, folds=args.folds,
                        seed=args.seed)
    for column, reason in summary["ignored"].items():
        print(f"ignored column {column!r}: {reason}", file=sys.stderr)
    print(json.dumps(summary, indent=2))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from ml.scoring.tabular import predict_table

    print(json.dumps(predict_table(args.model_dir, args.input, args.output), indent=2))
    return 0
