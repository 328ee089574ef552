"""The dashboard: server-rendered pages over the read model, with SVG charts.

Everything it needs comes in through ``create_app``: the read model, the credentials,
and callables for the shortlist, consumer lag and redrive, so unit tests run it on
fakes and ``serve`` wires the real ones.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import FastAPI, Form, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from bureau.domain.matching import Suggestion
from bureau.schemas.outcomes import PlacementStatus
from bureau.web import pages
from bureau.web.access import Access, AccessError
from bureau.web.feed import as_csv, as_json, public
from bureau.web.lag import GroupLag
from bureau.web.partner_login import PartnerLogins
from bureau.web.queries import OFFERS_PAGE, OfferFilter, ReadModel

log = structlog.get_logger(__name__)

Shortlist = Callable[[str], Awaitable[Sequence[Suggestion]]]
Lag = Callable[[], Awaitable[list[GroupLag]]]
Redrive = Callable[[str], Awaitable[int]]
Auth = Annotated[str | None, Header(alias="Authorization")]


@dataclass(kw_only=True)
class Wiring:
    """What the pages read and call."""

    read: ReadModel
    access: Access = field(default_factory=Access)
    shortlist: Shortlist | None = None
    lag: Lag | None = None
    redrive: Redrive | None = None
    dlq_topics: Sequence[str] = ()
    partner_logins: PartnerLogins | None = None
    """On a secured broker: schools also sign in with their broker credentials."""
    """Dead-letter topics the operator may re-drive."""
    refresh_seconds: float = 2.0
    """How often an open page asks for fresh figures."""
    lag_timeout_seconds: float = 5.0
    """How long the operator page waits for Kafka's answer about lag."""
    shortlist_timeout_seconds: float = 5.0
    """How long an offer's page waits for its shortlist (the tables' restore, at start)."""


def create_app(wiring: Wiring) -> FastAPI:
    """The dashboard application."""
    app = FastAPI(title="bureau dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    root = resources.files("bureau.web")
    templates = Jinja2Templates(directory=str(root / "templates"))
    templates.env.globals["refresh_ms"] = int(wiring.refresh_seconds * 1000)
    app.mount("/static", StaticFiles(directory=str(root / "static")), name="static")

    def render(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=code)

    @app.middleware("http")
    async def timing(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        # The route's pattern, not the path: a path may name a school or an offer.
        route = request.scope.get("route")
        log.info(
            "web_request",
            method=request.method,
            route=getattr(route, "path", "unmatched"),
            status=response.status_code,
            ms=round(1000 * (time.perf_counter() - started), 1),
        )
        response.headers["Server-Timing"] = f"app;dur={1000 * (time.perf_counter() - started):.1f}"
        return response

    @app.exception_handler(AccessError)
    async def denied(request: Request, exc: AccessError) -> HTMLResponse:
        response = render(request, "error.html", exc.status, status=exc.status, detail=exc.detail)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="bureau", charset="UTF-8"'
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> HTMLResponse:
        detail = "No such page." if exc.detail == "Not Found" else str(exc.detail)
        return render(request, "error.html", exc.status_code, status=exc.status_code, detail=detail)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> HTMLResponse:
        # The message names the field and the rule, never the value sent.
        what = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())
        return render(request, "error.html", 400, status=400, detail=f"Bad request ({what}).")

    @app.get("/", response_class=HTMLResponse)
    async def overview(request: Request) -> HTMLResponse:
        rows = public(await wiring.read.statistics())
        return render(request, "overview.html", **pages.overview(rows))

    @app.get("/offers", response_class=HTMLResponse)
    async def offers(
        request: Request,
        company: pages.QueryId = None,
        region: pages.QueryId = None,
        page: pages.PageNumber = 1,
    ) -> HTMLResponse:
        listed = await wiring.read.offers(OfferFilter(company=company, region=region), page)
        regions = [r.value for r in await wiring.read.statistics() if r.dimension == "region"]
        return render(
            request,
            "offers.html",
            offers=listed,
            pager=pages.pager(request, listed),
            company=company,
            region=region,
            companies=await wiring.read.companies(),
            regions=regions,
            page_size=OFFERS_PAGE,
        )

    @app.get("/offers/{offer_id}", response_class=HTMLResponse)
    async def offer(request: Request, offer_id: pages.Id, authorization: Auth = None) -> Any:
        wiring.access.require_admin(authorization)
        found = await wiring.read.offer(offer_id)
        if found is None:
            raise HTTPException(404, "No offer with this id.")
        shortlist, unavailable = None, None
        if wiring.shortlist is not None:
            try:
                async with asyncio.timeout(wiring.shortlist_timeout_seconds):
                    shortlist = await wiring.shortlist(offer_id)
            except TimeoutError:
                unavailable = "is being prepared (bureau's tables are being restored)"
            except Exception as exc:  # the offer itself is still worth showing
                unavailable = f"is not available now ({type(exc).__name__})"
        return render(
            request, "offer.html", offer=found, shortlist=shortlist, unavailable=unavailable
        )

    @app.get("/rounds", response_class=HTMLResponse)
    async def rounds(request: Request) -> HTMLResponse:
        return render(request, "rounds.html", rounds=await wiring.read.rounds())

    @app.get("/rounds/{round_id}", response_class=HTMLResponse)
    async def round_(request: Request, round_id: pages.Id) -> HTMLResponse:
        found = await wiring.read.round(round_id)
        if found is None:
            raise HTTPException(404, "No round with this id.")
        return render(request, "round.html", round=found, chart=pages.round_chart(found))

    @app.get("/research", response_class=HTMLResponse)
    async def research(request: Request) -> HTMLResponse:
        return render(request, "research.html", questions=await wiring.read.questions())

    @app.get("/lectures", response_class=HTMLResponse)
    async def lectures(request: Request) -> HTMLResponse:
        return render(request, "lectures.html", lectures=await wiring.read.lectures())

    @app.get("/schools/{school_id}", response_class=HTMLResponse)
    async def school(
        request: Request,
        school_id: pages.Id,
        authorization: Auth = None,
        status: PlacementStatus | None = None,
        page: pages.PageNumber = 1,
    ) -> Any:
        if wiring.partner_logins is not None:
            await wiring.partner_logins.require_school(wiring.access, authorization, school_id)
        else:
            wiring.access.require_school(authorization, school_id)
        view = await wiring.read.school(school_id, status.value if status else None, page)
        return render(
            request,
            "school.html",
            school=view,
            chart=pages.school_chart(view),
            pager=pages.pager(request, view.outcomes),
            statuses=[s.value for s in PlacementStatus],
        )

    @app.get("/operator", response_class=HTMLResponse)
    async def operator(request: Request, authorization: Auth = None, redriven: str = "") -> Any:
        wiring.access.require_admin(authorization)
        lag, lag_error = None, None
        if wiring.lag is not None:
            try:
                async with asyncio.timeout(wiring.lag_timeout_seconds):
                    lag = await wiring.lag()
            except Exception as exc:  # the page still shows the dead letters
                lag_error = type(exc).__name__
        return render(
            request,
            "operator.html",
            lag=lag,
            lag_error=lag_error,
            dead=await wiring.read.dead_letters(),
            topics=wiring.dlq_topics,
            redriven=redriven,
            can_redrive=wiring.redrive is not None,
        )

    @app.post("/operator/redrive")
    async def redrive(
        request: Request, topic: Annotated[str, Form()], authorization: Auth = None
    ) -> Any:
        wiring.access.require_admin(authorization)
        # A browser re-sends basic credentials on a form posted from any site: only our
        # own pages may press this button.
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            raise AccessError(403, "The re-drive button works from the operator page only.")
        if wiring.redrive is None or topic not in wiring.dlq_topics:
            raise HTTPException(400, f"Not a dead-letter topic of bureau: {topic[:200]}")
        count = await wiring.redrive(topic)
        log.info("dead_letters_redriven", topic=topic, count=count)
        done = urlencode({"redriven": f"{count} from {topic}"})
        return RedirectResponse(f"/operator?{done}", status_code=303)

    @app.get("/open-data/statistics.json")
    async def statistics_json() -> Response:
        body = as_json(public(await wiring.read.statistics()))
        return Response(body, media_type="application/json")

    @app.get("/open-data/statistics.csv")
    async def statistics_csv() -> Response:
        body = as_csv(public(await wiring.read.statistics()))
        return Response(body, media_type="text/csv; charset=utf-8")

    return app


__all__ = ["Lag", "Redrive", "Shortlist", "Wiring", "create_app"]
