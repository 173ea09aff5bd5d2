"""The HTTP service: a JSON API over the core, and a Da Vinci CRD coverage service (CDS Hooks).

A thin layer, like the command line: requests are read as the command line reads files
(exact decimals, no NaN), decided by the same core, and answered with the same JSON. Errors are
mapped once, here: a case that cannot be used is 422 with one line per problem (the command
line's messages), a body that is not JSON is 400, a body over the limit is 413, a rules error is
500 with its one-line message. No stack trace ever leaves the service.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from reasoner import __version__
from reasoner.errors import InvalidCase, ReasonerError, RulesError
from reasoner.service import examples
from reasoner.service.hooks import add_hook_routes
from reasoner.service.requests import BodyTooLarge, read_json

DEFAULT_MAX_BODY = 1 << 20  # 1 MiB
MAX_BODY_VARIABLE = "REASONER_MAX_BODY"
POLICY_NAME = "Portable External Infusion Pump"


def create_app(*, max_body: int = DEFAULT_MAX_BODY) -> FastAPI:
    """The service. ``max_body``: the largest request body accepted, in bytes."""
    app = FastAPI(
        title="Portable External Infusion Pump coverage reasoner",
        version=__version__,
        description="Decisions under the health plan's Portable External Infusion Pump medical policy, "
        "with minimal explanations tied to the policy's sentences; a Da Vinci CRD (CDS Hooks) service.",
    )
    app.state.max_body = max_body
    app.add_middleware(_BodyLimit, max_body=max_body)
    _add_error_handlers(app)
    _add_json_api(app)
    add_hook_routes(app)
    return app


def app_from_environment() -> FastAPI:
    """The factory `reasoner serve` gives uvicorn (each worker process calls it)."""
    import os

    return create_app(max_body=int(os.environ.get(MAX_BODY_VARIABLE, DEFAULT_MAX_BODY)))


class _BodyLimit(BaseHTTPMiddleware):
    """Refuse a body over the limit from its Content-Length, before reading it."""

    def __init__(self, app: Any, max_body: int) -> None:
        super().__init__(app)
        self.max_body = max_body

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return _problems(413, [f"request body: larger than the limit of {self.max_body} bytes"])
        return await call_next(request)


def _problems(status: int, problems: list[str]) -> JSONResponse:
    return JSONResponse({"errors": problems}, status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InvalidCase)
    async def invalid_case(_: Request, error: InvalidCase) -> JSONResponse:
        return _problems(422, error.problems())

    @app.exception_handler(BodyTooLarge)
    async def too_large(_: Request, error: BodyTooLarge) -> JSONResponse:
        return _problems(413, error.problems())

    @app.exception_handler(RulesError)
    async def rules_error(_: Request, error: RulesError) -> JSONResponse:
        return _problems(500, [f"internal error in the rules: {error}"])

    @app.exception_handler(ReasonerError)
    async def bad_input(_: Request, error: ReasonerError) -> JSONResponse:
        return _problems(400, error.problems())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return _problems(error.status_code, [str(error.detail)])

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        return _problems(500, [f"internal error: {type(error).__name__}"])


def _add_json_api(app: FastAPI) -> None:
    explanation_query = Query(True, description="Full explanation (default), or the decision and lines only.")
    as_of_query = Query(None, description="Decide under the version in force on this date (YYYY-MM-DD).")

    @app.post("/decide", tags=["decisions"], openapi_extra=examples.DECIDE_OPENAPI)
    async def decide_one(
        request: Request, explanation: bool = explanation_query, as_of: str | None = as_of_query,
    ) -> JSONResponse:
        """Decide one case (the JSON of `reasoner check --format json`)."""
        from reasoner.engine import decide

        data = await read_json(request)
        return JSONResponse(decide(data, explanation=explanation, as_of=as_of).to_json())

    @app.post("/decide/batch", tags=["decisions"], openapi_extra=examples.BATCH_OPENAPI)
    async def decide_many(
        request: Request, explanation: bool = explanation_query, as_of: str | None = as_of_query,
    ) -> JSONResponse:
        """Decide many cases (a JSON array): one record each, in order; a bad one is an error record."""
        import json

        from reasoner.batch import decide_items
        from reasoner.dates import parse_as_of

        data = await read_json(request)
        if not isinstance(data, list):
            raise InvalidCase(["request body: must be a JSON array of cases"])
        parse_as_of(as_of)
        outputs = decide_items(list(enumerate(data, 1)), explanation, as_of)
        return JSONResponse([json.loads(output.text) for output in outputs])

    @app.get("/conditions", tags=["policy"])
    async def conditions() -> JSONResponse:
        """Every condition, clause and rule with its label, exact sentence and answer field."""
        from reasoner.catalogue import catalogue_rows

        return JSONResponse(catalogue_rows())

    @app.get("/schema/case", tags=["policy"])
    async def case_schema() -> JSONResponse:
        """The JSON Schema of a case."""
        from reasoner.case import case_json_schema

        return JSONResponse(case_json_schema())

    @app.get("/schema/decision", tags=["policy"])
    async def decision_schema() -> JSONResponse:
        """The JSON Schema of a decision, from the typed models of its JSON."""
        from reasoner.decision_schema import decision_json_schema

        return JSONResponse(decision_json_schema())

    @app.get("/health", tags=["service"])
    async def health() -> dict[str, Any]:
        """The service is up; the policy and its versions."""
        from reasoner.catalogue import catalogue

        versions = sorted(v.name for v in catalogue().versions.values())
        return {"status": "ok", "policy": POLICY_NAME, "versions": versions, "today": date.today().isoformat()}
