"""A request's parameters, read as LibreTranslate reads them and bounded before any work is done.

LibreTranslate takes its parameters alike from a JSON body, a urlencoded form or the query string (a form
or query repeating `q` is a batch); so does `read`. The body is read up to `max_body` bytes, within
`body_seconds` however slowly it arrives; malformed JSON, JSON that is not an object, and a body that is not
UTF-8 are each one 400 line. The messages are LibreTranslate's where it has one.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from seqtui.errors import SeqtuiError

MAX_DEPTH = 4  # a JSON body is an object of strings, numbers and one list: deeper is refused unread


class ApiError(SeqtuiError):
    """An answer other than success: an HTTP status, LibreTranslate's one-line message, a Retry-After."""

    title = "Request error"

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def missing(name: str) -> ApiError:
    return ApiError(400, f"Invalid request: missing {name} parameter")


@dataclass(frozen=True)
class Limits:
    """The bounds on one request."""

    char_limit: int = 5000  # characters of one text (LibreTranslate's --char-limit)
    batch_limit: int = 64  # texts of one request (its --batch-limit)
    alternatives_limit: int = 3  # its --alternatives-limit
    max_body: int = 1 << 20  # bytes of a body
    body_seconds: float = 10.0  # for the body to arrive


async def read(request: web.Request, limits: Limits) -> dict[str, Any]:
    """The parameters of `request`: the query string's, then the body's over them."""
    params = _pairs(list(request.query.items()))
    body = await _body(request, limits)
    if not body:
        return params
    if request.content_type == "application/json":
        params.update(_json_object(body))
    else:
        params.update(_pairs(parse_qsl(_utf8(body), keep_blank_values=True)))
    return params


async def _body(request: web.Request, limits: Limits) -> bytes:
    if not request.can_read_body:
        return b""
    if (request.content_length or 0) > limits.max_body:
        raise _too_big(request.content_length or 0, limits.max_body)
    try:
        async with asyncio.timeout(limits.body_seconds):
            body: bytes = await request.content.read(limits.max_body + 1)
            while len(body) <= limits.max_body and not request.content.at_eof():
                body += await request.content.read(limits.max_body + 1 - len(body))
    except TimeoutError:
        raise ApiError(400, f"Invalid request: the body took over {limits.body_seconds:g} s to arrive") from None
    if len(body) > limits.max_body:
        raise _too_big(len(body), limits.max_body)
    return body


def _too_big(size: int, limit: int) -> ApiError:
    return ApiError(400, f"Invalid request: request body ({size} bytes) exceeds size limit ({limit} bytes)")


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ApiError(400, f"Invalid request: the body is not UTF-8 (byte {e.start})") from None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(_utf8(body))
    except (ValueError, RecursionError) as e:
        raise ApiError(400, f"Invalid request: malformed JSON ({str(e).splitlines()[0][:120]})") from None
    if not isinstance(doc, dict):
        raise ApiError(400, "Invalid JSON format")
    if _depth(doc) > MAX_DEPTH:
        raise ApiError(400, f"Invalid request: JSON nested over {MAX_DEPTH} levels")
    return doc


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Form or query pairs as parameters: a repeated `q` (or `q[]`) is a list, other names keep their last."""
    out: dict[str, Any] = {}
    qs = [v for k, v in pairs if k in ("q", "q[]")]
    for k, v in pairs:
        out[k] = v
    out.pop("q[]", None)
    if len(qs) > 1 or any(k == "q[]" for k, _ in pairs):
        out["q"] = qs
    return out


def texts(params: dict[str, Any], limits: Limits) -> tuple[list[str], bool]:
    """The texts of `q` and whether it was a batch (a list), within the limits."""
    q = params.get("q")
    if not q:
        raise missing("q")
    batch = isinstance(q, list)
    items = q if batch else [q]
    if not all(isinstance(t, str) for t in items):
        raise ApiError(400, "Invalid request: q must be a string or a list of strings")
    if batch and len(items) > limits.batch_limit:
        raise _exceeds(len(items), limits.batch_limit)
    for t in items:
        if len(t) > limits.char_limit:
            raise _exceeds(len(t), limits.char_limit)
    return ["\n".join(t.splitlines()) for t in items], batch


def _exceeds(size: int, limit: int) -> ApiError:
    return ApiError(400, f"Invalid request: request ({size}) exceeds text limit ({limit})")


def text(params: dict[str, Any], name: str, required: bool = True) -> str:
    """A string parameter (400 when it is required and missing, or not a string)."""
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise missing(name)
        return ""
    if not isinstance(value, str):
        raise ApiError(400, f"Invalid request: {name} must be a string")
    return value


def number(params: dict[str, Any], name: str, limit: int) -> int:
    """A whole-number parameter from 0 to `limit` (0 when absent)."""
    value = params.get(name, 0)
    try:
        n = max(0, int(value)) if not isinstance(value, bool | float) else -1
    except (TypeError, ValueError):
        n = -1
    if n < 0:
        raise ApiError(400, f"Invalid request: {name} parameter is not a number")
    if n > limit:
        raise ApiError(400, f"Invalid request: {name} parameter must be <= {limit}")
    return n


def flag(params: dict[str, Any], name: str) -> bool:
    """A yes/no parameter: JSON true, or 1/true/yes in a form."""
    value = params.get(name, False)
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true", "yes"))
