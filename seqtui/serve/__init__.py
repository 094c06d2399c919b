"""`seqtui serve`: the translator as an HTTP service that LibreTranslate's clients already speak.

A thin layer beside `cli/` and `tui/`, on aiohttp (the library textual-serve is built on; it imports in about
0.3 s, so the server answers /health within a second). The requests are read and bounded in `params.py`,
texts cut into sentences and HTML into text and tags in `text.py`, decoded by one engine thread running
`seqtui.decode.batcher` steps in `engine.py`, answered in `app.py` (JSON or Server-Sent Events); API keys and
their rates are `keys.py`, the OpenAPI document `spec.py`, starting and draining the server `run.py`. The
core never imports this package.
"""
