"""The collection server: the exported page and its faces, and an API that stores every answered trial.

Routes (Starlette, served by uvicorn):

- ``GET /`` and every file of the exported ``jspsych/`` folder;
- ``GET /collection.js``: tells the page to post its answers here (``{"mode": "server"}``);
- ``POST /api/sessions`` ``{"participant": "P01"}`` or ``{"prolific_pid": …, "study_id": …,
  "session_id": …}``: opens (or reopens) a session; answers ``{"subject_id", "answered"}``, the
  design participant and the trial indices already stored, from which the page resumes;
- ``POST /api/trials`` ``{"subject_id", "trial_index", "stimulus_id" or "catch_id", "response",
  "rt"}``: stores one trial (201), or answers 200 ``{"stored": false}`` for a trial already stored
  with the same answer, so that a retried post is stored once;
- ``GET /api/health``: ``{"status": "ok", "participants": n, "trials": n}``.

Refused requests get a 4xx with ``{"error": message}``: 400 malformed JSON, 404 an unknown
participant, 409 a conflict (another answer already stored, the study full), 413 a body over
the size limit, 415 a body that is not JSON, 422 a value that does not fit the design.
"""

from __future__ import annotations

import contextlib
import json
import os

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from varemotion.experiment.page import collection_script

from .store import NotStarted, StoreConflict, TrialStore
from .study import Refusal, Study

#: Largest request body accepted, in bytes: a trial is about 150 bytes.
DEFAULT_MAX_BODY = 16 * 1024
NO_CACHE = {"Cache-Control": "no-store"}


class BodyLimit:
    """ASGI middleware answering 413 to a request body over ``max_bytes`` before the app sees it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        body, replayed = b"".join(chunks), False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error(413, f"the request body is larger than the limit of {self.max_bytes} bytes")
        await response(scope, receive, send)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=NO_CACHE)


async def _json_body(request: Request) -> object:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refusal(415, f"the body must be JSON (Content-Type: application/json), got {kind or 'none'!r}")
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as problem:
        raise Refusal(400, f"malformed JSON: {problem}") from None


def create_app(experiment: str | os.PathLike[str], database: str | os.PathLike[str], *,
               max_body: int = DEFAULT_MAX_BODY, synchronous: str = "FULL") -> Starlette:
    """The server's ASGI app for the exported experiment in ``experiment``, storing trials in ``database``.

    ``synchronous`` is SQLite's setting (see varemotion.collection.store.SYNCHRONOUS).
    """
    study = Study.load(experiment)
    store = TrialStore(database, study.settings(), synchronous=synchronous)

    async def sessions(request: Request) -> Response:
        participant, prolific = study.session_request(await _json_body(request))
        subject = await run_in_threadpool(store.start_session, study.subject_ids, participant=participant,
                                          prolific=prolific)
        answered = await run_in_threadpool(store.answered, subject)
        return JSONResponse({"subject_id": subject, "answered": answered}, headers=NO_CACHE)

    async def trials(request: Request) -> Response:
        trial = study.trial(await _json_body(request))
        stored = await run_in_threadpool(store.add_trial, trial)
        return JSONResponse({"stored": stored}, status_code=201 if stored else 200, headers=NO_CACHE)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", **await run_in_threadpool(store.counts)}, headers=NO_CACHE)

    async def collection(request: Request) -> Response:
        return Response(collection_script({"mode": "server", "api": "api"}), media_type="text/javascript",
                        headers=NO_CACHE)

    async def refused(request: Request, problem: Refusal) -> Response:
        return error(problem.status, str(problem))

    async def conflict(request: Request, problem: StoreConflict) -> Response:
        return error(409, str(problem))

    async def not_started(request: Request, problem: NotStarted) -> Response:
        return error(404, str(problem))

    routes = [
        Route("/api/sessions", sessions, methods=["POST"]),
        Route("/api/trials", trials, methods=["POST"]),
        Route("/api/health", health, methods=["GET"]),
        Route("/collection.js", collection, methods=["GET"]),
        Mount("/", StaticFiles(directory=study.folder, html=True)),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        store.close()

    app = Starlette(routes=routes, middleware=[Middleware(BodyLimit, max_bytes=max_body)],
                    exception_handlers={Refusal: refused, StoreConflict: conflict, NotStarted: not_started},
                    lifespan=lifespan)
    app.state.store, app.state.study = store, study
    return app
