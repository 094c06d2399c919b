"""The HTTP application: LibreTranslate's routes and answers, Server-Sent Events for a streamed translation,
the page at `/`, CORS headers as LibreTranslate sends them, and every error one `{"error": ...}` line."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from seqtui.config import MAX_BEAM
from seqtui.data import language
from seqtui.decode.batcher import Job
from seqtui.serve import spec
from seqtui.serve.engine import NAMES, EngineThread, Model, Ticket, deadline
from seqtui.serve.keys import Keys
from seqtui.serve.params import ApiError, Limits, flag, missing, number, read, text, texts
from seqtui.serve.text import Part, join, parts, shown

LOADING = 60.0  # seconds a request waits for the models of a server that has just started
GRACE = 5.0  # seconds past a request's budget before the wait for the engine gives up
STATIC = Path(__file__).resolve().parent / "static"
PAGES = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Expose-Headers": "Authorization", "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Credentials": "true", "Access-Control-Max-Age": str(60 * 60 * 24 * 20)}


@dataclass
class Options:
    """How a server answers: its bounds, default beam, time budget per request, keys and queue."""

    limits: Limits = field(default_factory=Limits)
    beam: int = 1
    budget: float = 30.0  # seconds a request may decode
    keys: Keys | None = None
    queue_limit: int = 1024  # sentences waiting or decoding


class Server:
    """What the routes share: the models, the engine thread (made once the loop runs), requests in flight."""

    def __init__(self, models: list[Model], opts: Options) -> None:
        self.models, self.opts = models, opts
        self.engine: EngineThread | None = None
        self.ready = asyncio.Event()  # the models are loaded (a server listens before it has read them)
        if models:
            self.ready.set()
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def loaded(self, models: list[Model]) -> None:
        """The models, once read: requests waiting for them go on."""
        self.models = models
        self.ready.set()

    async def wait_ready(self) -> None:
        """Wait (up to LOADING seconds) for the models; 503 with Retry-After past that."""
        try:
            async with asyncio.timeout(LOADING):
                await self.ready.wait()
        except TimeoutError:
            raise ApiError(503, "The models are still loading", retry_after=1) from None

    def model(self, source: str, target: str) -> Model:
        codes = {m.source for m in self.models} | {m.target for m in self.models}
        for code in (source, target):
            if code not in codes:
                raise ApiError(400, f"{code} is not supported")
        for m in self.models:
            if (m.source, m.target) == (source, target):
                return m
        raise ApiError(400, f"{NAMES.get(target, target)} ({target}) is not available as a target language from "
                            f"{NAMES.get(source, source)} ({source})")

    def languages(self) -> list[dict[str, Any]]:
        codes = sorted({m.source for m in self.models} | {m.target for m in self.models})
        return [{"code": c, "name": NAMES.get(c, c), "targets": sorted(m.target for m in self.models if m.source == c)}
                for c in codes]


SERVER = web.AppKey("server", Server)


def make_app(models: list[Model], opts: Options | None = None) -> web.Application:
    """The application answering with `models` (the engine thread starts with it, and stops with it)."""
    opts = opts or Options()
    app = web.Application(middlewares=[_errors], client_max_size=opts.limits.max_body)
    app[SERVER] = Server(models, opts)
    app.on_startup.append(_start)
    app.on_cleanup.append(_stop)
    app.on_response_prepare.append(_cors)
    app.add_routes([web.get("/", _page), web.get("/static/{name}", _static), web.get("/health", _health),
                    web.get("/languages", _languages), web.get("/frontend/settings", _settings),
                    web.get("/spec", _spec), web.post("/translate", _translate), web.post("/detect", _detect),
                    web.post("/suggest", _suggest)])
    return app


async def _start(app: web.Application) -> None:
    srv = app[SERVER]
    srv.engine = EngineThread(srv.opts.queue_limit, asyncio.get_running_loop())


async def _stop(app: web.Application) -> None:
    engine = app[SERVER].engine
    if engine is not None:
        await asyncio.to_thread(engine.close)


async def _cors(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(CORS)


def _error(status: int, message: str, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return web.json_response({"error": message}, status=status, headers=headers)


@web.middleware
async def _errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every answer counted in flight (for the drain), and every failure one JSON line."""
    if request.method == "OPTIONS":
        return web.Response()
    srv = request.app[SERVER]
    srv.in_flight += 1
    srv.idle.clear()
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ApiError as e:
        return _error(e.status, e.message, e.retry_after)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        return _error(e.status, e.reason)
    except (ConnectionError, asyncio.CancelledError):
        raise
    except Exception as e:  # the one place an unexpected failure becomes an answer instead of a dropped line
        return _error(500, f"Cannot translate text: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    finally:
        srv.in_flight -= 1
        if not srv.in_flight:
            srv.idle.set()


async def _page(request: web.Request) -> web.StreamResponse:
    return await _static_file("index.html")


async def _static(request: web.Request) -> web.StreamResponse:
    return await _static_file(request.match_info["name"])


async def _static_file(name: str) -> web.StreamResponse:
    if name not in PAGES:  # a fixed list: no path from a request reaches the file system
        raise web.HTTPNotFound(reason="Not Found")
    body = await asyncio.to_thread((STATIC / name).read_bytes)
    return web.Response(body=body, content_type=PAGES[name], charset="utf-8")


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _languages(request: web.Request) -> web.Response:
    await request.app[SERVER].wait_ready()
    return web.json_response(request.app[SERVER].languages())


async def _settings(request: web.Request) -> web.Response:
    srv = request.app[SERVER]
    await srv.wait_ready()
    first = srv.models[0]
    return web.json_response({
        "charLimit": srv.opts.limits.char_limit, "frontendTimeout": int(srv.opts.budget * 1000),
        "apiKeys": srv.opts.keys is not None, "keyRequired": srv.opts.keys is not None, "suggestions": False,
        "filesTranslation": False, "supportedFilesFormat": [],
        "language": {"source": {"code": first.source, "name": NAMES.get(first.source, first.source)},
                     "target": {"code": first.target, "name": NAMES.get(first.target, first.target)}}})


async def _spec(request: web.Request) -> web.Response:
    return web.json_response(spec.document(request.app[SERVER].opts.limits))


async def _suggest(request: web.Request) -> web.Response:
    raise ApiError(403, "Suggestions are disabled on this server.")


async def _params(request: web.Request) -> dict[str, Any]:
    srv = request.app[SERVER]
    params = await read(request, srv.opts.limits)
    await srv.wait_ready()
    if srv.opts.keys is not None:
        key = params.get("api_key")
        srv.opts.keys.check(key if isinstance(key, str) else "")
    return params


async def _detect(request: web.Request) -> web.Response:
    srv = request.app[SERVER]
    params = await _params(request)
    q = params.get("q")
    if not q:
        raise missing("q")
    sample = " ".join(texts(params, srv.opts.limits)[0])
    candidates = sorted({m.source for m in srv.models})
    lang, confidence = await asyncio.to_thread(language.detect, sample, candidates)
    return web.json_response([{"confidence": round(confidence * 100, 1), "language": lang}])


@dataclass
class Asked:
    """A /translate request, read and checked: what to translate, how, and the sentences' jobs."""

    model: Model
    plans: list[list[Part]]
    batch: bool
    alternatives: int
    detected: dict[str, Any] | None
    html: bool = False  # no alternatives are decoded for HTML (they are answered [], as LibreTranslate does)
    tickets: list[Ticket] = field(default_factory=list)


async def _translate(request: web.Request) -> web.StreamResponse:
    srv = request.app[SERVER]
    params = await _params(request)
    asked = await _asked(srv, params)
    stream = flag(params, "stream") or "text/event-stream" in request.headers.get("Accept", "")
    jobs = _jobs(srv, asked, number(params, "beam", MAX_BEAM))
    assert srv.engine is not None
    asked.tickets = srv.engine.submit(asked.model, jobs, stream)
    try:
        if stream:
            return await _sse(request, asked)
        try:  # the engine ends each decode by its deadline; this bound only guards against the engine itself
            async with asyncio.timeout(srv.opts.budget + GRACE):
                await asyncio.gather(*(t.finished.wait() for t in asked.tickets))
        except TimeoutError:
            raise ApiError(503, f"Cannot translate text: it took over the time budget of {srv.opts.budget:g} s",
                           retry_after=1) from None
        return web.json_response(_answer(srv, asked))
    finally:
        for t in asked.tickets:
            t.job.cancelled = t.job.cancelled or not t.job.done


async def _asked(srv: Server, params: dict[str, Any]) -> Asked:
    if not params.get("q"):
        raise missing("q")
    source, target = text(params, "source"), text(params, "target")
    alternatives = number(params, "alternatives", srv.opts.limits.alternatives_limit)
    qs, batch = texts(params, srv.opts.limits)
    detected = None
    if source == "auto":
        candidates = sorted({m.source for m in srv.models})
        source, confidence = await asyncio.to_thread(language.detect, " ".join(qs), candidates)
        detected = {"confidence": round(confidence * 100, 1), "language": source}
    model = srv.model(source, target)
    fmt = text(params, "format", required=False) or "text"
    if fmt not in ("text", "html"):
        raise ApiError(400, f"{fmt} format is not supported")
    plans = [parts(q, source, model.readable, fmt == "html") for q in qs]
    return Asked(model, plans, batch, alternatives, detected, fmt == "html")


def _jobs(srv: Server, asked: Asked, beam: int) -> list[Job]:
    engine = asked.model.translator.engine
    beam = beam or srv.opts.beam
    alternatives = 0 if asked.html else asked.alternatives
    width = max(beam, alternatives + 1) if beam > 1 or alternatives else 1
    due = deadline(srv.opts.budget)
    return [Job(engine.source.encode(engine.source_of(p.sentence)), width, alternatives + 1, engine.max_len,
                deadline=due) for plan in asked.plans for p in plan if p.sentence]


def _answer(srv: Server, asked: Asked) -> dict[str, Any]:
    failed = [t.job.error for t in asked.tickets if t.job.error]
    if failed:
        raise ApiError(500, f"Cannot translate text: {failed[0]}")
    if any(t.job.expired for t in asked.tickets):
        raise ApiError(503, f"Cannot translate text: it took over the time budget of {srv.opts.budget:g} s",
                       retry_after=1)
    hyps = iter([[h.text for h in t.job.hypotheses] for t in asked.tickets])
    texts_out, alts_out = [], []
    for plan in asked.plans:
        found = [next(hyps) for p in plan if p.sentence]
        best = join(plan, [f[0] for f in found])
        alts = [join(plan, [f[k] if k < len(f) else f[0] for f in found]) for k in range(1, asked.alternatives + 1)]
        texts_out.append(best)
        alts_out.append([a for k, a in enumerate(alts) if a != best and a not in alts[:k]])
    out: dict[str, Any] = {"translatedText": texts_out if asked.batch else texts_out[0]}
    if asked.detected is not None:
        out["detectedLanguage"] = [asked.detected] * len(texts_out) if asked.batch else asked.detected
    if asked.alternatives:
        out["alternatives"] = alts_out if asked.batch else alts_out[0]
    return out


async def _sse(request: web.Request, asked: Asked) -> web.StreamResponse:
    """Each character as it is decoded (`{"index", "text", "prob"}`; spacing and tags with prob null), then
    one `result` event with the whole answer (or an `error` event)."""
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await resp.prepare(request)
    tickets = iter(asked.tickets)
    for index, plan in enumerate(asked.plans):
        for part in plan:
            if not part.sentence:
                await _event(resp, {"index": index, "text": part.literal, "prob": None})
                continue
            ticket = next(tickets)
            while True:
                update = await ticket.updates.get()
                for piece in update.pieces:
                    if piece.char:
                        await _event(resp, {"index": index, "text": shown(part, piece.char), "prob": piece.prob})
                if update.done:
                    break
    try:
        await _event(resp, _answer(request.app[SERVER], asked), "result")
    except ApiError as e:
        await _event(resp, {"error": e.message}, "error")
    await resp.write_eof()
    return resp


async def _event(resp: web.StreamResponse, data: dict[str, Any], name: str = "") -> None:
    head = f"event: {name}\n" if name else ""
    await resp.write(f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())
