"""The dashboard: server-rendered pages over the results table, a JSON API, downloads.

`create_app(settings)` builds the app. The dashboard never computes a figure: it reads the
results (and narrative and charts) the report uses, so screen and paper agree. Every data string
is escaped by the templates; downloads are safe from formula injection; the only files served
are the packaged static assets.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as Path_
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from policeperf import __version__
from policeperf.engine.export import to_records, write_results
from policeperf.errors import PolicePerfError
from policeperf.narrative import commentary
from policeperf.narrative import numbers as N
from policeperf.report.board import board_report_bytes, board_report_name, build_board_report
from policeperf.report.charts import measure_charts
from policeperf.report.model import SPC_TEXT, chance_note, score_row
from policeperf.report.xlsx import table_xlsx_bytes
from policeperf.web.guard import Guard
from policeperf.web.national import DEFAULT_MEASURE, YEAR_PATTERN, national_context
from policeperf.web.service import ResultsService, StoreBusy, check_month
from policeperf.web.settings import Settings, allowed_host_names, check_bind

HERE = Path(__file__).resolve().parent
MONTH_PATTERN = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
REPORT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
STORE_NOTICE_MARK = "<!--store-notice-->"
STORE_NOTICE = (
    '<p class="notice" role="status">The store is being updated: these are the last complete '
    "results; reload in a moment for the new figures.</p>"
)


class ErrorBody(BaseModel):
    status: int
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class MeasureOut(BaseModel):
    measure_id: str
    measure: str
    pillar: str
    focus_area: str
    kind: str
    unit: str
    polarity: str


class ResultRow(BaseModel):
    measure_id: str
    measure: str
    area_level: str
    area: str
    month: str
    value: float | None = None
    rolling_12m: float | None = None
    baseline: float | None = None
    baseline_period: str | None = None
    change_pct: float | None = None
    change_ppt: float | None = None
    verdict: str | None = None
    method: str | None = None
    spc_class: str | None = None
    n: float | None = None


class ResultsOut(BaseModel):
    framework: str
    force: str
    month: str
    rows: list[ResultRow]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse}, 401: {"model": ErrorResponse}, 404: {"model": ErrorResponse},
}  # fmt: skip


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "application/json" in request.headers.get(
        "accept", ""
    )


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)
    page = TEMPLATES.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )
    return page


TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
TEMPLATES.env.globals.update(N=N, SPC_TEXT=SPC_TEXT, version=__version__)


def create_app(settings: Settings, service: ResultsService | None = None) -> FastAPI:
    check_bind(settings)
    results = service or ResultsService(settings)
    app = FastAPI(
        title="policeperf dashboard",
        version=__version__,
        description="Results of a police performance framework: every measure x area x month.",
        docs_url=None,  # Swagger UI loads its scripts from a CDN, which the CSP forbids
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.add_middleware(
        Guard, allowed_hosts=allowed_host_names(settings), token=settings.token, error=_error
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path"))
        return _error(request, 400, f"{where}: {first.get('msg', 'invalid')}".strip(": "))

    @app.exception_handler(PolicePerfError)
    async def data_condition(request: Request, exc: PolicePerfError) -> Response:
        # What the store cannot answer (no data for the force or month) is said, not a 500.
        return _error(request, 409, str(exc))

    @app.exception_handler(StoreBusy)
    async def store_busy(request: Request, exc: StoreBusy) -> Response:
        response = _error(request, 503, str(exc))
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        return _error(
            request, 500, "something went wrong computing this page; the figures are unchanged"
        )

    def month_of(text: str | None) -> date:
        try:
            month = check_month(results, text)
        except PolicePerfError as exc:
            raise HTTPException(400, str(exc)) from None
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        return month or results.latest_month()

    def frame_for(month: date) -> pd.DataFrame:
        return results.results(None if month == results.latest_month() else month)

    def areas(frame: pd.DataFrame, month: date) -> list[tuple[str, str]]:
        return results.memo(("areas", month), lambda: _areas(frame, month))  # type: ignore[no-any-return]

    def _areas(frame: pd.DataFrame, month: date) -> list[tuple[str, str]]:
        now = frame[frame["month"] == month]
        order = {"force": 0, "area": 1, "district": 2}
        pairs = sorted(
            {(str(lv), str(a)) for lv, a in zip(now["area_level"], now["area"], strict=True)},
            key=lambda p: (order[p[0]], p[1]),
        )
        return pairs

    def check_area(frame: pd.DataFrame, month: date, area: str) -> str:
        if area not in {a for _, a in areas(frame, month)}:
            raise HTTPException(404, "no such area")
        return area

    def check_measure(measure_id: str) -> None:
        if measure_id not in {m.id for *_, m in results.framework.measures()}:
            raise HTTPException(404, "no such measure")

    def page(name: str, context: Any) -> HTMLResponse:
        return HTMLResponse(TEMPLATES.env.get_template(name).render(**context()))

    async def cached_page(key: tuple[Any, ...], render: Any, *args: Any) -> Response:
        """A page already rendered for this store state and query is served straight from the
        event loop; anything that needs computing runs on a worker thread, once for all the
        requests that want it at the same time. While an ingest holds the store the last
        complete page is served with a notice."""
        cached = results.peek(("url", *key))
        if cached is None:
            cached = await run_in_threadpool(
                results.memo, ("url", *key), lambda: bytes(render(*args).body).decode()
            )
        html = str(cached)
        if results.updating:
            return HTMLResponse(
                html.replace(STORE_NOTICE_MARK, STORE_NOTICE, 1),
                headers={"X-Store-Updating": "1"},
            )
        return HTMLResponse(html)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def overview(
        request: Request, month: str | None = Query(None, pattern=MONTH_PATTERN), area: str = "all"
    ) -> Response:
        return await cached_page(("overview", month, area), render_overview, month, area)

    def render_overview(month: str | None, area: str) -> HTMLResponse:
        chosen = month_of(month)
        frame = frame_for(chosen)
        check_area(frame, chosen, area)

        def context() -> dict[str, Any]:
            now = frame[(frame["month"] == chosen) & (frame["area"] == area)]
            pillars = []
            for pillar in results.framework.pillars:
                rows = [
                    score_row(r)
                    for r in now[now["pillar_id"] == pillar.id].to_dict(orient="records")
                ]
                pillars.append((pillar.name, rows))
            settings = results.framework.settings
            tested = int(now["p_value"].notna().sum()) if "p_value" in now else 0
            return {
                "framework": results.framework, "force": results.force, "month": chosen, "months": results.months(),
                "area": area, "areas": areas(frame, chosen), "pillars": pillars,
                "testing": chance_note(tested, settings.confidence, settings.multiple_testing),
            }  # fmt: skip

        return page("overview.html", context)

    @app.get("/measures/{measure_id}", response_class=HTMLResponse, include_in_schema=False)
    async def measure(
        request: Request,
        measure_id: str,
        month: str | None = Query(None, pattern=MONTH_PATTERN),
        area: str = "all",
    ) -> Response:
        return await cached_page(
            ("measure", measure_id, month, area), render_measure, measure_id, month, area
        )

    def render_measure(measure_id: str, month: str | None, area: str) -> HTMLResponse:
        check_measure(measure_id)
        chosen = month_of(month)
        frame = frame_for(chosen)
        check_area(frame, chosen, area)
        rows = frame[frame["measure_id"] == measure_id]
        now = rows[rows["month"] == chosen]
        if now.empty:
            raise HTTPException(404, "no results for this measure and month")

        if now[now["area"] == area].empty:
            raise HTTPException(404, f"no results for this measure in {area}")

        def context() -> dict[str, Any]:
            current = now[now["area"] == area].to_dict(orient="records")[0]
            chart = measure_charts(rows[rows["month"] <= chosen], [measure_id], area).get(
                measure_id
            )
            paragraphs = results.memo(("commentary", chosen), lambda: commentary(frame, chosen))
            text = [
                p.text
                for p in paragraphs.get(str(current["focus_area_id"]), [])
                if measure_id in p.measure_ids
            ]
            table = [
                (r["area_level"], r["area"], score_row(r)) for r in now.to_dict(orient="records")
            ]
            return {
                "framework": results.framework, "force": results.force, "month": chosen, "months": results.months(),
                "area": area, "areas": areas(frame, chosen), "row": current, "chart": chart, "text": text,
                "table": table, "method_text": _method_text(str(current.get("method") or "")),
            }  # fmt: skip

        return page("measure.html", context)

    @app.get("/download/results.csv", include_in_schema=False)
    def download_csv(
        month: str | None = Query(None, pattern=MONTH_PATTERN), measure_id: str | None = None
    ) -> Response:
        chosen = month_of(month)
        frame = _select(frame_for(chosen), chosen, measure_id, check_measure)
        text = write_results(frame, None, "csv") or ""
        return Response(
            text, media_type="text/csv", headers=_attachment(f"results-{chosen:%Y-%m}.csv")
        )

    @app.get("/download/results.xlsx", include_in_schema=False)
    def download_xlsx(
        month: str | None = Query(None, pattern=MONTH_PATTERN), measure_id: str | None = None
    ) -> Response:
        chosen = month_of(month)
        frame = _select(frame_for(chosen), chosen, measure_id, check_measure)
        return Response(table_xlsx_bytes(frame), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers=_attachment(f"results-{chosen:%Y-%m}.xlsx"))  # fmt: skip

    @app.get("/download/report.{fmt}", include_in_schema=False)
    def download_report(
        fmt: str = Path_(pattern=r"^(html|pdf|xlsx|csv)$"),
        month: str | None = Query(None, pattern=MONTH_PATTERN),
    ) -> Response:
        """The board report, the file `policeperf report` writes for the same store, framework,
        force, profile and month (report.board)."""
        chosen = month_of(month)

        def make() -> tuple[str, bytes]:
            frame = frame_for(chosen)
            if frame.attrs.get("month") != chosen.isoformat():
                frame = results.results(chosen)  # the latest month held is not the latest received
            with results.open_store() as db:
                board = build_board_report(db, results.framework, chosen, results=frame)
            return board_report_name(board, fmt), board_report_bytes(board, fmt)

        name, body = results.memo(("report", fmt, chosen), make)
        return Response(body, media_type=REPORT_TYPES[fmt], headers=_attachment(name))

    @app.get(
        "/api/months",
        response_model=list[str],
        responses=ERRORS,
        summary="Months with results, latest first",
    )
    def api_months() -> list[str]:
        return [f"{m:%Y-%m}" for m in results.months()]

    @app.get(
        "/api/measures",
        response_model=list[MeasureOut],
        responses=ERRORS,
        summary="The framework's measures",
    )
    def api_measures() -> list[MeasureOut]:
        return [
            MeasureOut(
                measure_id=m.id,
                measure=m.name,
                pillar=p.name,
                focus_area=f.name,
                kind=m.kind,
                unit=m.unit,
                polarity=m.polarity,
            )
            for p, _, f, m in results.framework.measures()
        ]

    @app.get(
        "/api/results", response_model=ResultsOut, responses=ERRORS, summary="Results for a month"
    )
    def api_results(
        month: str | None = Query(
            None, pattern=MONTH_PATTERN, description="YYYY-MM; latest if absent"
        ),
        area: str | None = Query(None, max_length=200, description="all, an area or a district"),
        measure_id: str | None = Query(None, max_length=200),
    ) -> ResultsOut:
        chosen = month_of(month)
        frame = _select(frame_for(chosen), chosen, measure_id, check_measure)
        if area is not None:
            frame = frame[frame["area"] == area]
        rows = [
            ResultRow(
                **{k: v for k, v in r.items() if k in ResultRow.model_fields}
                | {"month": f"{chosen:%Y-%m}"}
            )
            for r in to_records(frame)
        ]
        return ResultsOut(
            framework=results.framework.name,
            force=results.force,
            month=f"{chosen:%Y-%m}",
            rows=rows,
        )

    @app.get("/harm", response_class=HTMLResponse, include_in_schema=False)
    async def harm(
        request: Request, month: str | None = Query(None, pattern=MONTH_PATTERN)
    ) -> Response:
        return await cached_page(("harm", month), render_harm, month)

    def render_harm(month: str | None) -> HTMLResponse:
        chosen = month_of(month)

        def context() -> dict[str, Any]:
            from policeperf.framework.loader import harm_weights
            from policeperf.harm.rank import Window, rank
            from policeperf.report.harm import harm_section
            from policeperf.store.database import ibis_backend

            framework = results.framework
            weights = harm_weights(framework.settings, results.force)
            with results.open_store() as db:
                ranking = rank(
                    ibis_backend(db),
                    results.force,
                    Window.months_to(chosen, 12),
                    weights,
                    "offender",
                )
            return {"framework": framework, "force": results.force, "month": chosen, "months": results.months(),
                    "area": "all", "areas": [("force", "all")], "section": harm_section(ranking)}  # fmt: skip

        return page("harm.html", context)

    @app.get("/national", response_class=HTMLResponse, include_in_schema=False)
    async def national(
        request: Request,
        measure: str = Query(DEFAULT_MEASURE, max_length=80),
        year: str | None = Query(None, pattern=YEAR_PATTERN),
        force: str | None = Query(None, max_length=80),
    ) -> Response:
        return await cached_page(
            ("national", measure, year, force), render_national, measure, year, force
        )

    def render_national(measure: str, year: str | None, force: str | None) -> HTMLResponse:
        with results.open_store() as db:
            found = national_context(db, results.force, measure, year, force)
        context = {"framework": results.framework, "force": results.force, **found}
        return page("national.html", lambda: context)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _select(frame: pd.DataFrame, month: date, measure_id: str | None, check: Any) -> pd.DataFrame:
    frame = frame[frame["month"] == month]
    if measure_id is not None:
        check(measure_id)
        frame = frame[frame["measure_id"] == measure_id]
    return frame


def _attachment(name: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
    }


def _method_text(method: str) -> str:
    from policeperf.engine.verdict import METHOD_TEXT

    return METHOD_TEXT.get(method, method)
