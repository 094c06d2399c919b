"""The OpenAPI document of this server (`GET /spec`): its routes, parameters and answers."""

from __future__ import annotations

from typing import Any

from seqtui.serve.params import Limits

_ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}}


def _param(name: str, kind: str, doc: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": doc, "schema": {"type": kind}}


def document(limits: Limits) -> dict[str, Any]:
    """The document, with this server's limits in its descriptions."""
    translate = [
        _param("q", "string", f"Text (or, repeated or a JSON list, up to {limits.batch_limit} texts) of up to "
                              f"{limits.char_limit} characters each", True),
        _param("source", "string", "Source language code, or auto", True),
        _param("target", "string", "Target language code", True),
        _param("format", "string", "text or html (only the text between tags is translated)"),
        _param("alternatives", "integer", f"How many other translations to give, up to {limits.alternatives_limit}"),
        _param("beam", "integer", "Beam width (1: greedy; a seqtui extension)"),
        _param("stream", "boolean", "Answer with Server-Sent Events as the translation is decoded"),
        _param("api_key", "string", "API key"),
    ]
    answers = {"200": {"description": "Translated text"}, "400": _ERROR, "403": _ERROR, "429": _ERROR,
               "503": _ERROR}
    return {
        "openapi": "3.0.3",
        "info": {"title": "seqtui serve", "version": "1",
                 "description": "A character-level translator behind LibreTranslate's API"},
        "paths": {
            "/translate": {"post": {"summary": "Translate text", "parameters": translate, "responses": answers}},
            "/detect": {"post": {"summary": "Detect the language of a text",
                                 "parameters": [translate[0], translate[-1]], "responses": answers}},
            "/languages": {"get": {"summary": "The languages and their targets", "responses": answers}},
            "/frontend/settings": {"get": {"summary": "Settings of the page", "responses": answers}},
            "/health": {"get": {"summary": "Whether the server answers", "responses": answers}},
            "/suggest": {"post": {"summary": "Suggestions (off on this server)", "responses": {"403": _ERROR}}},
            "/spec": {"get": {"summary": "This document", "responses": answers}},
        },
        "components": {"schemas": {"error": {"type": "object", "properties": {"error": {"type": "string"}}}}},
    }
