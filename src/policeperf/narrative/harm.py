"""Sentences about harm (how concentrated it is, a managed cohort and its comparison group) and
proven reoffending, from the harm package's figures (report, dashboard, CLI)."""

from __future__ import annotations

from typing import Any

from policeperf.harm.cohort import CohortResult
from policeperf.harm.rank import Ranking
from policeperf.harm.reoffending import Reoffending
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


NOT_AVAILABLE = "not available"


def signed_change(value: float | None, why: str) -> str:
    """'+12.5%' or 'change not available: <why>' (an undefined change is never 0% nor nan%)."""
    if N.is_missing(value):
        return f"change {NOT_AVAILABLE}: {why}"
    return f"{float(value):+.1f}%"  # type: ignore[arg-type]


def cohort_sentences(cohort: CohortResult) -> list[str]:
    """The managed cohort before and after adoption and its comparison group, as the report, the
    dashboard and the command line say them."""
    t = cohort.totals
    out = [
        f"Managed cohort of {N.count(t['people'])}: harm {N.count(t['before_harm'])} days in the "
        f"{cohort.months} months before adoption and {N.count(t['after_harm'])} days in the "
        f"{cohort.months} months after ({signed_change(t['harm_change_pct'], 'no harm before adoption')}); "
        f"offences {N.count(t['before_offences'])} and {N.count(t['after_offences'])}."
    ]
    c = cohort.comparison
    if c is not None:
        out.append(comparison_sentence(c))
    return out


def comparison_sentence(c: dict[str, Any]) -> str:
    """How the comparison group was chosen and what its harm did."""
    if not c:
        return (
            "No comparison group: the after-window of the median adoption date is not complete "
            "in the data."
        )
    if not c["people"]:
        return f"No comparison group: {c['why_none']}."
    short = (
        f" (only {N.count(c['people'])} of the {N.count(c['wanted'])} wanted are ranked below)"
        if c["people"] < c["wanted"]
        else ""
    )
    change = signed_change(c["harm_change_pct"], "no harm before adoption")
    return (
        f"Comparison group: the {N.count(c['people'])} people ranked just below the cohort's "
        f"lowest-ranked member (rank {c['lowest_member_rank']}) on harm from {c['ranked_on']}, "
        f"ranks {c['first_rank']} to {c['last_rank']}, none of them in the cohort{short}; "
        f"as if adopted {c['as_if_adopted']}: harm {N.count(c['before_harm'])} and "
        f"{N.count(c['after_harm'])} days ({change})."
    )


def reoffending_sentence(r: Reoffending) -> str:
    """Proven reoffending in one line; a rate whose denominator is zero is not available, with
    the reason, never 0%."""
    if r.why_no_rate is not None:
        return (
            f"{N.count(r.offenders)} offenders; the reoffending rate and reoffences per offender "
            f"and per reoffender are {NOT_AVAILABLE}: {r.why_no_rate}."
        )
    per_reoffender = (
        f"{r.per_reoffender:.2f} per reoffender"
        if r.per_reoffender is not None
        else f"per reoffender {NOT_AVAILABLE}: {r.why_no_frequency}"
    )
    return (
        f"{N.count(r.offenders)} offenders; {N.count(r.reoffenders)} reoffended "
        f"({N.pct(r.binary_rate_pct)}); {N.count(r.reoffences)} reoffences: "
        f"{r.per_offender:.2f} per offender, {per_reoffender}."
    )
