"""The performance framework: pillars -> priorities -> focus areas -> measures.

A measure's `kind` decides which fields it needs: an outcome rate names its outcome set and
method, a proportion says what counts as success, a median says what it measures, a ratio names
the measures it divides. Each kind's rules live in its module of `framework.kinds`. Models are
frozen; they are passed between packages, never dicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from policeperf.framework.kinds import KINDS, kind

Polarity = Literal["up_is_good", "down_is_good", "neutral"]
BenchmarkMethod = Literal[
    "auto",
    "non_shared_months_quasi_poisson",
    "non_shared_months_two_proportion",
    "non_shared_months_survey_proportion",
    "non_shared_months_median_shift",
    "current_month_vs_baseline_months",
    # Earlier names, still accepted: each means the non-shared-months method of its kind.
    "rolling_12m_vs_baseline_overdispersed",
    "two_proportion_newcombe",
    "wilson_newcombe",
    "monthly_medians_mann_whitney",
]
RecordTable = Literal[
    "crimes",
    "incidents",
    "calls",
    "survey_responses",
    "asb_incidents",
    "stop_searches",
    "investigations",
    "activities",
]
ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


FilterValue = str | bool | int | float
"""A value a filtered column must hold: text for text columns, true or false for flags."""


NAMED_FILTER_COLUMNS = {
    "categories": "offence_category", "offence_codes": "offence_code",
    "offence_groups": "offence_group", "offence_subgroups": "offence_subgroup",
    "grades": "grade", "incident_types": "incident_type", "lines": "line", "survey": "survey",
    "aspects": "aspect", "crime_categories": "crime_category", "search_objects": "object_of_search",
}  # fmt: skip
"""Named filter -> the record column it tests (named filters predate filters by column name)."""


class Filters(Frozen):
    """Which records a measure counts. Every filter given must hold; a list matches any item.

    Besides the named filters below, any column the schema marks filterable for the measure's
    table is a filter by its own name (`activity_type: [dispersal_authorisation]`,
    `vcc_contact_due: true`); those are gathered into `columns`, and the framework loader checks
    each name and value against the table with its file and line.
    """

    categories: tuple[str, ...] | None = Field(None, description="data.police.uk crime categories")
    offence_codes: tuple[str, ...] | None = None
    offence_groups: tuple[str, ...] | None = None
    offence_subgroups: tuple[str, ...] | None = None
    markers: tuple[str, ...] | None = Field(
        None, description="flags that must be set, e.g. domestic_abuse, hate, sharp_instrument"
    )
    grades: tuple[str, ...] | None = Field(None, description="incident grades, e.g. prompt")
    incident_types: tuple[str, ...] | None = None
    lines: tuple[Literal["999", "101", "other"], ...] | None = Field(None, description="call lines")
    survey: str | None = None
    aspects: tuple[str, ...] | None = None
    crime_categories: tuple[str, ...] | None = Field(None, description="survey: the victim's crime")
    search_objects: tuple[str, ...] | None = None
    columns: tuple[tuple[str, tuple[FilterValue, ...]], ...] = Field(
        (), description="column name -> the values it may hold, for any filterable column"
    )

    @model_validator(mode="before")
    @classmethod
    def _gather_columns(cls, data: object) -> object:
        """Keys that are not named filters are column filters; one value is a list of one."""
        if not isinstance(data, dict):
            return data
        named = {k: v for k, v in data.items() if k in cls.model_fields}
        given = data.get("columns", ())
        if not isinstance(given, dict | list | tuple):
            return data  # refused by the field's own type, with its line
        pairs = list(given.items()) if isinstance(given, dict) else list(given)
        pairs += [(k, v) for k, v in data.items() if k not in cls.model_fields]
        empty = [str(k) for k, v in pairs if v is None or v == []]
        if empty:
            raise ValueError(f"{empty[0]}: no value given; expected a value or a list of values")
        if pairs:
            named["columns"] = tuple(
                (k, tuple(v) if isinstance(v, list | tuple) else (v,)) for k, v in pairs
            )
        return named

    def by_column(self) -> list[tuple[str, str, tuple[FilterValue, ...]]]:
        """Every filter as (key given, record column, values it may hold): named filters by the
        column they test, a marker as its flag set (true), column filters as given."""
        out: list[tuple[str, str, tuple[FilterValue, ...]]] = []
        for key, column in NAMED_FILTER_COLUMNS.items():
            wanted = getattr(self, key)
            if wanted is not None:
                out.append((key, column, (wanted,) if isinstance(wanted, str) else wanted))
        out += [("markers", marker, (True,)) for marker in self.markers or ()]
        out += [(column, column, values) for column, values in self.columns]
        return out


class Success(Frozen):
    """What counts towards a proportion's numerator."""

    field: (
        Literal[
            "satisfied",
            "compliant",
            "abandoned",
            "allocated",
            "vcc_contact_made",
            "supervisory_review_done",
            "suspect_managed",
        ]
        | None
    ) = None
    answered_within_seconds: float | None = Field(None, gt=0)
    attended_within_minutes: float | None = Field(None, gt=0)
    filters: Filters | None = Field(
        None, description="records that also match these filters (e.g. a marker)"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Success:
        given = [
            v
            for v in (
                self.field,
                self.answered_within_seconds,
                self.attended_within_minutes,
                self.filters,
            )
            if v is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of field, answered_within_seconds, attended_within_minutes, "
                "filters"
            )
        return self


KIND_FIELDS = frozenset(
    {"outcome_set", "method", "success", "value", "per", "numerator", "denominator"}
)
"""Measure fields that belong to some kinds only; each kind names those it reads (`uses`)."""


class Measure(Frozen):
    """One line of the scorecard."""

    id: str = Field(pattern=ID_PATTERN)
    name: str
    description: str = ""
    table: RecordTable = "crimes"
    kind: str = Field(description="one of the kinds in framework.kinds: " + ", ".join(KINDS))
    of: str | None = Field(
        None,
        description="the measure whose records this one counts: its table and filters are "
        "taken from it rather than repeated",
    )
    filters: Filters = Filters()
    polarity: Polarity = "neutral"
    benchmark: BenchmarkMethod = "auto"
    outcome_set: str | None = Field(None, description="outcome_rate, outcome_count: the set")
    method: Literal["period", "cohort"] | None = Field(None, description="outcome_rate method")
    success: Success | None = Field(None, description="proportion: what counts as success")
    value: Literal["response_minutes", "answer_seconds"] | None = Field(
        None, description="median, mean, sum: of what"
    )
    per: int = Field(1000, description="rate_per_population: per how many residents")
    numerator: str | None = Field(None, description="ratio: the measure id divided")
    denominator: str | None = Field(None, description="ratio: the measure id it is divided by")
    target: float | None = Field(
        None, description="optional target in the measure's unit, for SPC assurance"
    )
    grain: Literal["month", "day"] = Field(
        "month",
        description="day: also tracked day by day (count and proportion only): the daily tracker",
    )

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"got {value!r}; expected one of {', '.join(KINDS)}")
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> Measure:
        # A measure built on another is checked once its table is known (`Framework`).
        problems = [] if self.of else kind(self.kind).problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def rate_method(self) -> Literal["period", "cohort"]:
        return self.method or "period"

    @property
    def unit(self) -> str:
        """The unit of the measure's figures (a name in `framework.kinds.UNITS`)."""
        return kind(self.kind).unit(self)


class FocusArea(Frozen):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    commentary: str = Field("", description="fixed text shown before the generated commentary")
    measures: tuple[Measure, ...]


class Priority(Frozen):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    focus_areas: tuple[FocusArea, ...]


class Pillar(Frozen):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    priorities: tuple[Priority, ...]


def parse_fy(label: str) -> int:
    """Start year of '2019/20'.

    >>> parse_fy("2019/20")
    2019
    """
    match = re.fullmatch(r"(\d{4})/(\d{2})", label)
    if match is None or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"not a financial year: {label!r}; expected e.g. 2019/20")
    return int(match.group(1))


class SpcSettings(Frozen):
    """SPC as NHSRplotthedots draws it unless changed: limits from every point of an unbroken
    series (of each rebase group), moving ranges screened for outliers, 7-point runs."""

    fix_after_points: int | None = Field(
        None,
        ge=12,
        description="limits from the first n points of each group, held after (none: all points)",
    )
    shift_points: int = Field(7, ge=6, le=9, description="run of points on one side of the mean")
    trend_points: int = Field(7, ge=5, le=9, description="run of points each higher (or lower)")
    screen_outliers: bool = Field(
        True, description="drop moving ranges of 3.267 x their mean or more (Nelson)"
    )
    rebase: tuple[str, ...] = Field((), description="months (YYYY-MM) from which limits restart")
    limits_period: tuple[str, str] | None = Field(
        None,
        description="first and last month (YYYY-MM) whose points give the limits, held after "
        "(none: all points)",
    )

    @field_validator("rebase", "limits_period")
    @classmethod
    def _months(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        bad = [m for m in value or () if not re.fullmatch(r"(?!0000)\d{4}-(0[1-9]|1[0-2])", m)]
        if bad:
            raise ValueError(f"got {bad[0]!r}; expected months as YYYY-MM, e.g. 2020-04")
        return value

    @field_validator("limits_period")
    @classmethod
    def _in_order(cls, value: tuple[str, str] | None) -> tuple[str, str] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"got {list(value)}; expected the first month, then the last")
        return value

    @model_validator(mode="after")
    def _one_way_to_fix(self) -> SpcSettings:
        if self.fix_after_points is not None and self.limits_period is not None:
            raise ValueError(
                "fix_after_points and limits_period: expected one way to fix the limits"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: object) -> object:
        if isinstance(data, dict) and "baseline_points" in data:
            raise ValueError(
                "baseline_points is now fix_after_points (at least 12); leave it out to take "
                "the limits from every point, as NHSRplotthedots does"
            )
        return data


class Settings(Frozen):
    confidence: float = Field(0.95, gt=0.5, lt=1)
    baseline: Literal["previous_financial_year"] | str = Field(
        "previous_financial_year", description="or a fixed financial year such as 2019/20"
    )
    minimum_n: int = Field(
        30, ge=1, description="fewer cases than this: too little data for a verdict"
    )
    harm_weights: str = Field(
        "cchi", description="harm measures: 'cchi' or a CSV of offence_code,weight"
    )
    include_proactive: bool = Field(False, description="harm: count drug and weapon possession too")
    outcome_lookback_months: int = Field(
        12,
        ge=0,
        le=60,
        description="period outcome rates: months of recorded crime needed before a month "
        "whose outcomes are counted (outcomes of older crimes cannot be attributed)",
    )
    multiple_testing: Literal["none", "benjamini_hochberg"] = Field(
        "none",
        description="benjamini_hochberg: verdicts of a month judged on p-values adjusted across "
        "all that month's verdicts (Benjamini & Hochberg 1995)",
    )
    spc: SpcSettings = SpcSettings()

    @field_validator("baseline")
    @classmethod
    def _financial_year(cls, value: str) -> str:
        if value != "previous_financial_year":
            try:
                parse_fy(value)
            except ValueError:
                raise ValueError(
                    f"got {value!r}; expected previous_financial_year or a financial year "
                    "such as 2019/20"
                ) from None
        return value

    @property
    def fixed_baseline(self) -> str | None:
        """The fixed baseline year, or None for the previous financial year of each month."""
        return None if self.baseline == "previous_financial_year" else self.baseline


class ReportText(Frozen):
    """Words for the board paper's header block; editable per framework."""

    to: str = "Police and Crime Commissioner"
    from_: str = Field("Chief Constable", alias="from")
    title: str = "Performance report"
    purpose: str = ""
    background: str = ""


def _reference_issues(by_id: dict[str, Measure]) -> list[tuple[str, str, str]]:
    """(measure id, field, message) for each `of` and ratio reference that does not hold."""
    issues = []
    for m in by_id.values():
        base = by_id.get(m.of) if m.of else None
        if m.of is None:
            pass
        elif base is None:
            issues.append((m.id, "of", f"of names {m.of!r}, which is not a measure"))
        elif base.of is not None:
            issues.append((m.id, "of", f"of names {m.of!r}, which is itself built on another"))
        elif "filters" in m.model_fields_set or "table" in m.model_fields_set:
            issues.append((m.id, "of", "give of or table and filters, not both"))
        for field, ref in zip(
            ("numerator", "denominator"), kind(m.kind).references(m), strict=False
        ):
            used = by_id.get(ref)
            if used is None:
                issues.append((m.id, field, f"{ref!r} is not a measure"))
            elif not kind(used.kind).total:
                issues.append((m.id, field, f"{ref} is of kind {used.kind}; a ratio divides "
                               "totals (counts, outcome counts, sums, harm)"))  # fmt: skip
    return issues


class Framework(Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    version: str
    force: str | None = Field(None, description="the force whose records are evaluated")
    settings: Settings = Settings()
    report: ReportText = ReportText()
    pillars: tuple[Pillar, ...]

    def measures(self) -> Iterator[tuple[Pillar, Priority, FocusArea, Measure]]:
        for pillar in self.pillars:
            for priority in pillar.priorities:
                for focus in priority.focus_areas:
                    for measure in focus.measures:
                        yield pillar, priority, focus, measure

    _reference_issues: tuple[tuple[str, str, str], ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _records_of(self, info: ValidationInfo) -> Framework:
        """A measure built on another (`of`) counts that measure's records: its table and
        filters are taken once here, so every later step sees them as if written out. Broken
        references are an error; with context `defer_references` they are kept for the
        loader, which reports each with its line (`reference_issues`)."""
        by_id = {m.id: m for *_, m in self.measures()}
        issues = _reference_issues(by_id)
        broken = {measure_id for measure_id, field, _ in issues if field == "of"}
        pillars = tuple(
            p.model_copy(update={"priorities": tuple(
                r.model_copy(update={"focus_areas": tuple(
                    f.model_copy(update={"measures": tuple(
                        m.model_copy(update={"table": by_id[m.of].table, "filters": by_id[m.of].filters})
                        if m.of and m.id not in broken else m
                        for m in f.measures
                    )})
                    for f in r.focus_areas
                )})
                for r in p.priorities
            )})
            for p in self.pillars
        )  # fmt: skip
        object.__setattr__(self, "pillars", pillars)
        for *_, m in self.measures():
            if m.of and m.id not in broken:
                issues.extend((m.id, "kind", problem) for problem in kind(m.kind).problems(m))
        if issues and not (info.context or {}).get("defer_references"):
            raise ValueError("; ".join(f"measure {i}: {message}" for i, _, message in issues))
        self._reference_issues = tuple(issues)
        return self

    @property
    def reference_issues(self) -> tuple[tuple[str, str, str], ...]:
        """(measure id, field, message) of each broken reference between measures, when the
        framework was validated with context `defer_references`."""
        return self._reference_issues

    def measure(self, measure_id: str) -> Measure:
        for *_, measure in self.measures():
            if measure.id == measure_id:
                return measure
        raise KeyError(measure_id)
