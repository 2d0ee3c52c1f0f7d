"""The FastAPI application: routes, authentication, reload and error answers."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Final

import orjson
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from .._version import library_version
from ._http import (
    REQUEST_ID,
    BodySizeLimit,
    JSONAnswer,
    RequestLog,
    field_error,
    problem,
    validation_errors,
)
from ._models import ModelHolder, ServedModels
from ._options import ServeOptions, read_token

log = logging.getLogger("am_analytics.serve")

_JSON: Final = "application/json"
_WHITESPACE: Final = b" \t\r\n"
#: The endpoint answered without the framework's routing (see ManagerScoreRoute).
SCORE_PATH: Final = "/v1/managers/score"
#: Headers of a JSON answer; the length is added per answer.
_JSON_HEADER: Final = (b"content-type", b"application/json")


class Refusal(Exception):
    """A request the service refuses: the status, a message and the rules broken."""

    def __init__(self, status: int, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def create_app(options: ServeOptions) -> FastAPI:
    """The scoring service for ``options``, with its models read once, now.

    Parameters
    ----------
    options
        Where the model files and the token file are, and the request limits.

    Returns
    -------
    fastapi.FastAPI
        An ASGI application; run it with uvicorn (``am-analytics serve`` does).

    Raises
    ------
    ConfigError
        A model or token file is missing or unusable.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from am_analytics import write_model
    >>> from am_analytics.scoring import Criterion, Scorecard
    >>> from am_analytics.serve import ServeOptions, create_app
    >>> fitted = Scorecard([Criterion("sales_amount", weight=1)]).fit(
    ...     pd.DataFrame({"sales_amount": [10.0, 20.0, 30.0]})
    ... )
    >>> path = Path(tempfile.mkdtemp()) / "managers.json"
    >>> _ = write_model(fitted, path, fitted_on={"period": "2026Q3"}, inputs={})
    >>> app = create_app(ServeOptions(path))
    >>> sorted(route.path for route in app.routes if route.path.startswith("/v1"))
    ['/v1/clients/segment', '/v1/managers/score', '/v1/models', '/v1/models/reload']
    """
    holder = ModelHolder(options)
    token = read_token(options.token_file)
    app = FastAPI(
        title="am_analytics scoring service",
        version=library_version(),
        description="Score account managers and place clients with the batch's fitted models.",
        docs_url="/docs",
        redoc_url=None,
        lifespan=_lifespan(holder),
    )
    app.state.holder = holder
    _add_error_answers(app)
    _add_routes(app, holder, token)
    app.openapi = _openapi(app, holder)  # type: ignore[method-assign]
    # added first: the innermost, so the body limit and the access log still see its requests
    app.add_middleware(ManagerScoreRoute, holder=holder, token=token)
    app.add_middleware(BodySizeLimit, limit=options.max_body_bytes)
    app.add_middleware(RequestLog)  # added last: the outermost, so it sees every answer
    return app


def app_from_environment() -> FastAPI:
    """The service as a worker process builds it (settings from the environment)."""
    # Each worker is its own process (the supervisor spawns them), so this is where the
    # process-wide logging switches take effect. The service's lines never show the thread
    # or process; not looking them up for every record is the optimisation the logging
    # documentation recommends (1-3 % more single-record requests per second).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    return create_app(ServeOptions.from_environment())


def _lifespan(holder: ModelHolder) -> Callable[[FastAPI], Any]:
    """Reload the models on SIGHUP while the application runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        def on_hangup() -> None:
            replaced, reason = holder.reload()
            app.openapi_schema = None
            log.info("SIGHUP: models %s", "reloaded" if replaced else f"kept: {reason}")

        try:
            loop.add_signal_handler(signal.SIGHUP, on_hangup)
            hangup = True
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            hangup = False
        try:
            yield
        finally:
            if hangup:
                loop.remove_signal_handler(signal.SIGHUP)

    return lifespan


def _add_error_answers(app: FastAPI) -> None:
    """Every refusal and failure answers JSON with the request id; never a traceback."""

    async def refused(request: Request, error: Exception) -> JSONAnswer:
        assert isinstance(error, Refusal)
        return problem(request.scope.get(REQUEST_ID), error.status, error.message, error.errors)

    async def invalid(request: Request, error: Exception) -> JSONAnswer:
        assert isinstance(error, RequestValidationError)
        errors = validation_errors(
            ({"loc": e["loc"][1:], "type": e["type"], "msg": e["msg"]} for e in error.errors()),
            root="query",
        )
        return problem(request.scope.get(REQUEST_ID), 422, "the request is invalid", errors)

    async def http_error(request: Request, error: Exception) -> JSONAnswer:
        assert isinstance(error, StarletteHTTPException)
        return problem(request.scope.get(REQUEST_ID), error.status_code, str(error.detail))

    app.add_exception_handler(Refusal, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _authorize(authorization: str, token: str | None) -> None:
    """Refuse with 401 unless the Authorization header carries the token (when one is set)."""
    if token is None:
        return
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), token.encode()
    ):
        raise Refusal(
            401,
            "this endpoint needs the service's token",
            [
                field_error(
                    "header.authorization", "bearer_token", "send Authorization: Bearer <token>"
                )
            ],
        )


def _check_json(content_type: str) -> None:
    """Refuse with 422 unless the Content-Type header declares JSON."""
    if content_type.partition(";")[0].strip().lower() != _JSON:
        raise Refusal(
            422,
            f"send the body as JSON with Content-Type: {_JSON}",
            [field_error("header.content-type", "content_type", f"expected {_JSON}")],
        )


async def _json_body(request: Request) -> bytes:
    """The request body, refused unless it is declared as JSON."""
    _check_json(request.headers.get("content-type", ""))
    return await request.body()


async def _read_body(receive: Receive) -> bytes:
    """The whole request body from the ASGI channel (as ``Request.body`` reads it)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _validated(adapter: TypeAdapter[Any], body: bytes) -> Any:
    """The body validated by ``adapter``; 422 naming each broken rule otherwise."""
    try:
        return adapter.validate_json(body)
    except ValidationError as error:
        errors = error.errors(include_url=False, include_input=False, include_context=False)
        raise Refusal(
            422, "the request body breaks the rules below", validation_errors(errors, root="body")
        ) from None


def _is_batch(body: bytes) -> bool:
    """Whether the JSON body is an array (a batch) rather than one object."""
    return body.lstrip(_WHITESPACE)[:1] == b"["


def _add_routes(app: FastAPI, holder: ModelHolder, token: str | None) -> None:
    """The endpoints."""

    @app.get("/healthz", tags=["probes"], summary="The process answers")
    async def healthz() -> JSONAnswer:
        return JSONAnswer({"status": "ok"})

    @app.get("/readyz", tags=["probes"], summary="The models are loaded")
    async def readyz() -> JSONAnswer:
        models: ServedModels | None = getattr(holder, "current", None)
        if models is None:
            return problem(None, 503, "the models are not loaded")
        return JSONAnswer({"status": "ready", "manager_model": models.manager.file.sha256})

    @app.get("/v1/models", tags=["models"], summary="The models in use")
    async def describe_models(request: Request) -> JSONAnswer:
        _authorize(request.headers.get("authorization", ""), token)
        return JSONAnswer(holder.current.describe())

    @app.post("/v1/models/reload", tags=["models"], summary="Read the model files again")
    async def reload_models(request: Request) -> JSONAnswer:
        if token is None:
            raise Refusal(
                403,
                "reloading over HTTP needs a token: start the service with --token-file, "
                "or send SIGHUP to the service process",
                [],
            )
        _authorize(request.headers.get("authorization", ""), token)
        replaced, reason = holder.reload()
        app.openapi_schema = None
        if not replaced:
            return problem(
                request.scope.get(REQUEST_ID),
                409,
                f"the models were kept: {reason}",
                [field_error("model_files", "valid_model_file", reason)],
            )
        if holder.options.workers > 1:  # the supervisor hands SIGHUP on to every worker
            os.kill(os.getppid(), signal.SIGHUP)
        return JSONAnswer({"reloaded": True, "models": holder.current.describe()})

    @app.post(
        SCORE_PATH,
        tags=["scoring"],
        summary="Score one manager or a batch",
        description=(
            "Each record is answered on its own: the same score, grade and percentile "
            "whether it is sent alone or in a batch. The percentile is among the managers "
            "the model was fitted on, never among the records of the request."
        ),
    )
    async def score_managers(request: Request) -> JSONAnswer:
        # ManagerScoreRoute answers this path first; the route documents it (OpenAPI)
        # and answers the same should the application run without that middleware
        _authorize(request.headers.get("authorization", ""), token)
        body = await _json_body(request)
        return JSONAnswer(await _manager_scores(holder, body))

    @app.post("/v1/clients/segment", tags=["scoring"], summary="Place one client or a batch")
    async def segment_clients(
        request: Request,
        as_of: Annotated[
            dt.date | None,
            Query(description="The day the service plan starts (default: today)."),
        ] = None,
    ) -> JSONAnswer:
        _authorize(request.headers.get("authorization", ""), token)
        placing = holder.current.client
        if placing is None:
            raise Refusal(
                404,
                "no client model is loaded: start the service with --client-model",
                [],
            )
        body = await _json_body(request)
        when = as_of if as_of is not None else dt.date.today()
        if _is_batch(body):
            records = await run_in_threadpool(_validated, placing.batch, body)
            return JSONAnswer(await run_in_threadpool(placing.place, records, as_of=when))
        record = _validated(placing.one, body)
        return JSONAnswer((await run_in_threadpool(placing.place, [record], as_of=when))[0])


async def _manager_scores(holder: ModelHolder, body: bytes) -> Any:
    """The answer to a manager scoring body: one record inline, a batch in a thread."""
    scoring = holder.current.manager
    if _is_batch(body):
        records = await run_in_threadpool(_validated, scoring.batch, body)
        return await run_in_threadpool(scoring.score_records, records)
    return scoring.score_record(_validated(scoring.one, body))


class ManagerScoreRoute:
    """``POST /v1/managers/score`` answered in plain ASGI; every other request passes on.

    The framework's routing, dependency solving and response classes cost more
    than scoring one record does, so the service's busiest endpoint skips them:
    the headers are read from the scope, the body from the channel, and the
    answer is sent as two messages. The rules are those of the route (token,
    Content-Type, validation, the same 422/401 bodies); it sits inside
    :class:`BodySizeLimit` and :class:`RequestLog`, which still limit, time and
    log its requests and turn any failure into a 500.
    """

    def __init__(self, app: ASGIApp, *, holder: ModelHolder, token: str | None) -> None:
        self.app = app
        self.holder = holder
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != SCORE_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        authorization = content_type = None
        for name, value in scope["headers"]:  # the first of repeated headers, as Request does
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"content-type" and content_type is None:
                content_type = value.decode("latin-1")
        try:
            _authorize(authorization or "", self.token)
            _check_json(content_type or "")
            answer = orjson.dumps(await _manager_scores(self.holder, await _read_body(receive)))
        except Refusal as refusal:
            refused = problem(
                scope.get(REQUEST_ID), refusal.status, refusal.message, refusal.errors
            )
            await refused(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(answer)).encode()), _JSON_HEADER],
            }
        )
        await send({"type": "http.response.body", "body": answer})


def _openapi(app: FastAPI, holder: ModelHolder) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document, with the request and answer schemas of the models in use."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        models = holder.current
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        services: list[tuple[str, Any]] = [("/v1/managers/score", models.manager)]
        if models.client is not None:
            services.append(("/v1/clients/segment", models.client))
        for path, service in services:
            one = service.one.json_schema(ref_template="#/components/schemas/{model}")
            components.update(one.pop("$defs", {}))
            answer = service.response_schema()
            operation = schema["paths"][path]["post"]
            operation["requestBody"] = {
                "required": True,
                "content": {
                    _JSON: {
                        "schema": {
                            "oneOf": [
                                one,
                                {"type": "array", "items": one, "minItems": 1,
                                 "maxItems": holder.options.max_batch},
                            ]
                        }
                    }
                },
            }  # fmt: skip
            operation["responses"]["200"] = {
                "description": "One answer per record, in the request's shape and order",
                "content": {
                    _JSON: {"schema": {"oneOf": [answer, {"type": "array", "items": answer}]}}
                },
            }
        app.openapi_schema = schema
        return schema

    return document
