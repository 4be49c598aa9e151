"""Sentences about how concentrated harm is, from a ranking's figures (report, dashboard, CLI)."""

from __future__ import annotations

from policeperf.harm.rank import Ranking
from policeperf.narrative import numbers as N


def concentration_sentences(ranking: Ranking) -> list[str]:
    out = []
    for c in ranking.concentration:
        tied = (
            f" ({c['tied_at_boundary']} tied at the boundary)" if c["tied_at_boundary"] > 1 else ""
        )
        out.append(
            f"The top {c['share_of_people_pct']:g}% of {ranking.by}s ({N.count(c['people'])}) account for "
            f"{c['harm_pct']:.1f}% of the harm{tied}."
        )
    if ranking.power_few_pct is not None:
        out.append(
            f"Half of the harm is caused by {ranking.power_few_pct:.1f}% of {ranking.by}s (the power few)."
        )
    if ranking.total_harm:
        out.append(
            f"{100 * ranking.unknown_harm / ranking.total_harm:.1f}% of the harm is from crimes with no identified {ranking.by}."
        )
    return out
