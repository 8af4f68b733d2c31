"""The stability map's data: a sweep's results table (sweep_folder.read_results) reduced to one row per cell of two
chosen hyperparameters, the mean of a chosen figure over the cell's seeds, its spread, and what became of each
trial. Pure pandas: the figure is explorer.plots.sweep, the page pages/sweeps.py.

A diverged or failed trial has no final figure: it counts in its cell's `diverged` / `failed`, never in the
mean. A cell whose trials all diverged is marked "diverged" (all failed: "failed"); a cell no trial of which has
ended yet (a sweep still running) is "pending".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from explorer.sweeps.sweep_folder import figure_labels, lower_is_better

# Columns of a results table that are not grid axes (sweep_folder.result_columns minus the spec's axes and figures).
NOT_AXES = frozenset(("trial", "run", "state", "seed", "step", "seconds", "error"))
CELL_COLUMNS = ("x", "y", "x_label", "y_label", "status", "mean", "std", "n", "trials", "finished", "diverged",
                "failed", "runs", "seeds", "values", "states")


@dataclass(frozen=True)
class StabilityMap:
    figure: str  # a figure_labels() column
    x: str  # the axis across
    y: str | None  # the axis down (None: a sweep over one hyperparameter, one row of cells)
    cells: pd.DataFrame  # CELL_COLUMNS, one row per (y, x) in axis order, y slowest

    @property
    def x_labels(self) -> list[str]:
        return list(dict.fromkeys(self.cells["x_label"]))

    @property
    def y_labels(self) -> list[str]:
        return list(dict.fromkeys(self.cells["y_label"]))

    @property
    def label(self) -> str:
        return figure_labels().get(self.figure, self.figure)

    @property
    def lower_is_better(self) -> bool:
        return lower_is_better(self.figure)

    def cell(self, x_label: str, y_label: str) -> pd.Series | None:
        """The cell at these axis labels (as value_label writes them), or None."""
        hit = self.cells[(self.cells["x_label"] == x_label) & (self.cells["y_label"] == y_label)]
        return hit.iloc[0] if len(hit) else None


def value_label(value: Any) -> str:
    """An axis value as a person reads it: 1e-4, 3e-4, 1e-2, 0.5, 2, minimax. Learning rates are log-spaced, so
    floats below 0.1 are written with an exponent (0.0003 -> 3e-4)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return str(v)
        if v == int(v) and abs(v) < 1e6:
            return str(int(v))
        if abs(v) < 0.1:  # 1e-4, 3e-4, ..., 3e-2: one notation along a log-spaced axis
            mantissa, exponent = f"{v:.3e}".split("e")
            return f"{float(mantissa):g}e{int(exponent)}"
        return f"{v:.4g}"
    return str(value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def axis_levels(values: Sequence[Any]) -> list[Any]:
    """The distinct values of an axis in display order: numerically sorted when every value is a number, else in
    the order they come (a results table's order is the spec's: the order the values were written)."""
    distinct = list(dict.fromkeys(v for v in values if not (isinstance(v, float) and math.isnan(v))))
    numbers = [_as_number(v) for v in distinct]
    if distinct and all(n is not None for n in numbers):
        return [v for _, v in sorted(zip(numbers, distinct, strict=True), key=lambda p: p[0])]
    return distinct


def sweep_axes(results: pd.DataFrame) -> list[str]:
    """The hyperparameters a results table varies (its grid's fields, in the spec's order)."""
    shown = figure_labels()
    return [c for c in results.columns if c not in NOT_AXES and c not in shown]


def offered_figures(results: pd.DataFrame) -> list[str]:
    """The final figures (sweep_folder.figure_labels) with at least one value (a toy has no Frechet distance, a 1D
    toy no modes), in that order."""
    return [f for f in figure_labels()
            if f in results.columns and pd.to_numeric(results[f], errors="coerce").notna().any()]


def stability_map(results: pd.DataFrame, figure: str, x: str, y: str | None = None,
                  fixed: Mapping[str, Any] | None = None, levels: Mapping[str, Sequence[Any]] | None = None
                  ) -> StabilityMap:
    """One cell per (y, x): `figure`'s mean and sample std over the cell's finished trials, n (how many had a
    value), counts of trials finished / diverged / failed, and the cell's runs, seeds, per-seed values (NaN where
    a trial did not finish) and states, ordered by seed.

    `fixed` keeps only the rows where other axes take these values (a sweep of three hyperparameters drawn over
    two). `levels` gives every value of an axis, so cells no trial has reached yet are drawn ("pending");
    without it the cells are those of the results. ValueError names a column the table does not have."""
    for column in (figure, x, y, *(fixed or {})):
        if column is not None and column not in results.columns:
            raise ValueError(f"the results table has no column {column!r}; it has {', '.join(results.columns)}")
    if x == y:
        raise ValueError(f"x and y are both {x!r}: pick two different hyperparameters")
    rows = results
    for column, value in (fixed or {}).items():
        rows = rows[rows[column].map(value_label) == value_label(value)]
    levels = levels or {}
    # The axes' values from the whole table: the map keeps its cells whichever value another axis is fixed at.
    xs = axis_levels(list(levels.get(x, ())) + list(results[x]))
    ys = axis_levels(list(levels.get(y, ())) + list(results[y])) if y else [None]
    values = pd.to_numeric(rows[figure], errors="coerce")
    x_keys = rows[x].map(value_label)
    y_keys = rows[y].map(value_label) if y else pd.Series("", index=rows.index)
    out = []
    for yv in ys:
        for xv in xs:
            here = rows[(x_keys == value_label(xv)) & (y_keys == (value_label(yv) if y else ""))]
            here = here.assign(_value=values[here.index]).sort_values("seed", kind="stable")
            states = here["state"].astype(str)
            finished = here[states == "finished"]
            got = finished["_value"].dropna()
            n_diverged, n_failed = int((states == "diverged").sum()), int((states == "failed").sum())
            if not len(here):
                status = "pending"
            elif len(finished):
                status = "finished"
            else:
                status = "diverged" if n_diverged else "failed"
            out.append({
                "x": xv, "y": yv, "x_label": value_label(xv), "y_label": value_label(yv) if y else "",
                "status": status, "mean": float(got.mean()) if len(got) else math.nan,
                "std": float(got.std(ddof=1)) if len(got) > 1 else math.nan, "n": len(got), "trials": len(here),
                "finished": len(finished), "diverged": n_diverged, "failed": n_failed,
                "runs": tuple(here["run"].astype(str)), "seeds": tuple(int(s) for s in here["seed"]),
                "values": tuple(float(v) if s == "finished" else math.nan
                                for v, s in zip(here["_value"], states, strict=True)),
                "states": tuple(states)})
    return StabilityMap(figure, x, y, pd.DataFrame(out, columns=list(CELL_COLUMNS)))


def cell_of_point(point: dict) -> tuple[str, str] | None:
    """(x label, y label) of a point of explorer.plots.sweep.stability_figure as Streamlit's selection gives it
    (customdata [row, x label, y label]); None for anything else."""
    data = point.get("customdata")
    if isinstance(data, (list, tuple)) and len(data) >= 3:
        return str(data[1]), str(data[2])
    return None
