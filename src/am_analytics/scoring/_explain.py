"""Explaining scores: what lifted a manager above the median and what held them back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ._fitted import FittedScorecard


@dataclass(frozen=True)
class Explanation:
    """One manager's score against the population median, in numbers and words.

    Attributes
    ----------
    manager_id, score, grade, rank, n_scored
        The manager, their score (0..100), grade, rank (1 = best) among the
        ``n_scored`` managers scored.
    median_score
        The fitted population's median score.
    table
        Per criterion, strongest effect first: ``label, value, median_value,
        norm, median_norm, weight, effect`` where ``effect`` is
        ``100 × weight × (norm − median_norm)``: the points the criterion adds
        to (or takes from) the score compared with a manager at the median on
        it. Missing criteria have NaN effects.
    text
        The same in sentences; ``str(explanation)`` gives it.
    """

    manager_id: Any
    score: float
    grade: str | None
    rank: int | None
    n_scored: int
    median_score: float
    table: pd.DataFrame
    text: str

    def __str__(self) -> str:
        return self.text


def criterion_effects(fitted: FittedScorecard, scored: pd.DataFrame) -> pd.DataFrame:
    """Points each criterion adds against the population median, per scored row.

    ``100 × w × (norm − median_norm)`` with the weights rescaled over each
    row's criteria present (as the weighted sum does); NaN where missing.
    """
    metrics = fitted.scorecard.metrics
    norm = scored[[f"{m}_norm" for m in metrics]].to_numpy(dtype=np.float64)
    weights = fitted.weights_.to_numpy() * ~np.isnan(norm)
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(total > 0, weights / total, np.nan)
    effects = 100 * weights * (norm - fitted.params_["median_norm"].to_numpy())
    return pd.DataFrame(effects, index=scored.index, columns=list(metrics))


def strongest_effects(fitted: FittedScorecard, scored: pd.DataFrame) -> pd.DataFrame:
    """Per row, the criterion that lifted the score most and the one that held it back most.

    Columns ``lifted_by`` and ``held_back_by``: the criterion's label and its
    effect in points, e.g. ``"销售额 (+6.1)"``; empty when no criterion is above
    (or below) the median.
    """
    effects = criterion_effects(fitted, scored).to_numpy()
    labels = [c.name for c in fitted.scorecard.criteria]
    filled = np.nan_to_num(effects, nan=0.0)
    out = {}
    for column, pick, sign in (("lifted_by", np.argmax, 1), ("held_back_by", np.argmin, -1)):
        best = pick(filled, axis=1) if effects.size else np.zeros(len(scored), dtype=int)
        value = filled[np.arange(len(scored)), best] if effects.size else np.zeros(len(scored))
        # rounded to 9 decimals before the text's one: sums added in another order (on a
        # Dask cluster) then give the same text at a tie such as 6.25
        value = np.round(value, 9)
        text = [f"{labels[j]} ({v:+.1f})" for j, v in zip(best, value, strict=True)]
        out[column] = np.where(sign * value > 0.05, np.array(text, dtype=object), "")
    return pd.DataFrame(out, index=scored.index)


def explain(fitted: FittedScorecard, frame: pd.DataFrame, manager_id: Any) -> Explanation:
    """See :meth:`FittedScorecard.explain`."""
    scored = fitted.score(frame)
    row = scored.loc[manager_id]
    effects = criterion_effects(fitted, scored.loc[[manager_id]]).iloc[0]
    criteria = fitted.scorecard.criteria
    metrics = list(fitted.scorecard.metrics)
    table = pd.DataFrame(
        {
            "label": [c.name for c in criteria],
            "value": [row[f"{m}_value"] for m in metrics],
            "median_value": fitted.params_["median"].to_numpy(),
            "norm": [row[f"{m}_norm"] for m in metrics],
            "median_norm": fitted.params_["median_norm"].to_numpy(),
            "weight": fitted.weights_.to_numpy(),
            "effect": effects.to_numpy(),
        },
        index=pd.Index(metrics, name="metric"),
    )
    table = table.iloc[np.argsort(-table["effect"].abs().fillna(-1).to_numpy(), kind="stable")]
    scored_rows = int(scored["score"].notna().sum())
    grade = None if pd.isna(row["grade"]) else str(row["grade"])
    rank = None if pd.isna(row["rank"]) else int(row["rank"])
    return Explanation(
        manager_id=manager_id,
        score=float(row["score"]),
        grade=grade,
        rank=rank,
        n_scored=scored_rows,
        median_score=fitted.median_score_,
        table=table,
        text=_sentences(
            manager_id,
            row,
            table,
            grade,
            rank,
            scored_rows,
            fitted.median_score_,
            fitted.scorecard.missing,
        ),
    )


def _sentences(
    manager_id: Any,
    row: pd.Series,
    table: pd.DataFrame,
    grade: str | None,
    rank: int | None,
    n_scored: int,
    median_score: float,
    policy: str,
) -> str:
    """The explanation in words."""
    if pd.isna(row["score"]):
        head = f"{manager_id} is not scored: values are missing for {row['missing']}."
    else:
        head = (
            f"{manager_id} scores {row['score']:.1f} (grade {grade}, rank {rank} of {n_scored}); "
            f"the median manager scores {median_score:.1f}."
        )
    lines = [head]
    for title, part in (
        ("Lifted by", table[table["effect"] > 0.05]),
        ("Held back by", table[table["effect"] < -0.05].iloc[::-1].sort_values("effect")),
    ):
        if len(part):
            items = [
                f"{r.label} {_number(r.value)} (median {_number(r.median_value)}, "
                f"{r.effect:+.1f} points)"
                for r in part.itertuples()
            ]
            lines.append(f"{title}: " + "; ".join(items) + ".")
    if row["missing"] and not pd.isna(row["score"]):
        lines.append(f"No value for {row['missing']}; {_MISSING_POLICY[policy]}.")
    elif row["missing"]:
        lines.append("Give these values, or choose missing='reweight' to score this manager.")
    return "\n".join(lines)


_MISSING_POLICY: Final = {
    "reweight": "its weight went to the other criteria",
    "median": "the population median was used instead",
    "reject": "",
}


def _number(value: Any) -> str:
    """A value as people read it: thousands separated, two significant decimals."""
    if pd.isna(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")
