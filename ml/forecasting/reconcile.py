"""Hierarchical reconciliation: make independently forecast nodes (company, regions, teams, reps) add up.

The hierarchy is a summing matrix S (nodes x leaves) built from each leaf's list of ancestors, so any grouping
works, nested or not. Reconciled forecasts are S G yhat with a projection G chosen by `method`:

- ``bottom_up``: G picks the leaf forecasts; aggregates are their sums (ignores aggregate forecasts).
- ``ols``: G = (S'S)^-1 S', the least-squares coherent forecasts (Hyndman et al. 2011).
- ``wls_struct`` (default): G = (S'W^-1 S)^-1 S'W^-1 with W = diag(leaves under each node), the structural
  scaling of MinT (Athanasopoulos et al. 2017): aggregates carry more weight in proportion to their size
  without needing a residual covariance, which three short backtest folds on ~50 nodes cannot estimate
  (hence no MinT-shrink here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

METHODS = ("bottom_up", "ols", "wls_struct")
INTERVAL_COLUMNS = ("yhat_lower", "yhat_upper", "yhat_lower_80", "yhat_upper_80")


@dataclass(frozen=True)
class Hierarchy:
    """Node ids (aggregates first, in first-seen order, then leaves) and the 0/1 summing matrix."""

    nodes: list[str]
    leaves: list[str]
    summing: np.ndarray  # len(nodes) x len(leaves); row i marks the leaves that add up to node i

    @classmethod
    def from_leaf_ancestors(cls, ancestors: Mapping[str, Sequence[str]]) -> Hierarchy:
        """Build from leaf -> ancestor ids; an aggregate is the sum of every leaf that names it."""
        leaves = list(ancestors)
        aggregates = list(dict.fromkeys(node for leaf in leaves for node in ancestors[leaf]))
        both = sorted(set(leaves) & set(aggregates))
        if both:
            raise ValueError(f"node(s) {', '.join(both)} are both a leaf and an ancestor")
        leaf_rows = np.eye(len(leaves))
        aggregate_rows = np.array([[node in ancestors[leaf] for leaf in leaves] for node in aggregates], dtype=float)
        return cls(nodes=aggregates + leaves, leaves=leaves,
                   summing=np.vstack([aggregate_rows.reshape(len(aggregates), len(leaves)), leaf_rows]))


def hierarchy_from_frame(frame: pd.DataFrame, levels: Sequence[str], separator: str = "/") -> Hierarchy:
    """Hierarchy from one row per leaf with its path in `levels` columns (top first, e.g. company, region,
    team, rep). Node ids are the path down to the node joined by `separator` ("Acme/EMEA/Team A"), so equal
    names under different parents stay distinct."""
    missing = [level for level in levels if level not in frame.columns]
    if missing:
        raise ValueError(f"level column(s) {', '.join(missing)} not found; available: {', '.join(frame.columns)}")
    paths = frame[list(levels)].astype(str).to_numpy()
    ids = [[separator.join(path[:depth + 1]) for depth in range(len(levels))] for path in paths]
    leaf_ids = [row[-1] for row in ids]
    duplicated = sorted({leaf for leaf in leaf_ids if leaf_ids.count(leaf) > 1})
    if duplicated:
        raise ValueError(f"leaf path(s) listed more than once: {', '.join(duplicated)}")
    return Hierarchy.from_leaf_ancestors({row[-1]: row[:-1] for row in ids})


def _projection(hierarchy: Hierarchy, method: str) -> np.ndarray:
    """G (leaves x nodes) mapping the base forecasts of all nodes to reconciled leaf forecasts (ols, wls_struct)."""
    s = hierarchy.summing
    inverse_w = 1 / s.sum(axis=1) if method == "wls_struct" else np.ones(len(hierarchy.nodes))
    weighted = s.T * inverse_w  # S' W^-1
    return np.linalg.solve(weighted @ s, weighted)


def reconcile(base: pd.DataFrame, hierarchy: Hierarchy, method: str = "wls_struct") -> pd.DataFrame:
    """Coherent forecasts from base forecasts: `base` has one column per node id (rows are periods); the result
    has the same rows and a column per node in `hierarchy.nodes` order, every aggregate the exact sum of its
    leaves. ``bottom_up`` needs only the leaf columns."""
    if method not in METHODS:
        raise ValueError(f"unknown reconciliation method {method!r}; available: {', '.join(METHODS)}")
    needed = hierarchy.leaves if method == "bottom_up" else hierarchy.nodes
    missing = [node for node in needed if node not in base.columns]
    if missing:
        raise ValueError(f"base forecasts missing for {len(missing)} node(s): {', '.join(missing[:10])}")
    if method == "bottom_up":
        leaves = base[hierarchy.leaves].to_numpy(dtype=float)
    else:
        leaves = base[hierarchy.nodes].to_numpy(dtype=float) @ _projection(hierarchy, method).T
    return pd.DataFrame(leaves @ hierarchy.summing.T, index=base.index, columns=hierarchy.nodes)


def reconcile_forecasts(forecasts: pd.DataFrame, hierarchy: Hierarchy, method: str = "wls_struct",
                        node_col: str = "node") -> pd.DataFrame:
    """Reconcile long-format `forecast()` output stacked with a `node_col` column (node, ds, yhat, intervals).

    Only yhat is made coherent; interval columns are shifted by each node's adjustment so they keep the width
    the node's own model gave them (interval bounds are quantiles and do not add up across nodes). With
    ``bottom_up`` an aggregate absent from `forecasts` gets its summed yhat and NaN intervals."""
    wide = forecasts.pivot(index="ds", columns=node_col, values="yhat")
    coherent = reconcile(wide, hierarchy, method).rename_axis(columns=node_col).stack().rename("coherent")
    out = forecasts.merge(coherent.reset_index(), on=["ds", node_col], how="right")
    shift = out["coherent"] - out["yhat"]
    for column in [c for c in INTERVAL_COLUMNS if c in out.columns]:
        out[column] = out[column] + shift
    out["yhat"] = out.pop("coherent")
    return out[list(forecasts.columns)]
