"""`seqtui serve` in-process: LibreTranslate's answers (its own API tests re-written as ours), streaming, the
bounds on every input, keys, the queue, and a client that goes away; after each fault the server answers."""

from __future__ import annotations

import asyncio
import json

import pytest

import seqtui
from seqtui.serve.app import SERVER, Options, make_app
from seqtui.serve.engine import open_models
from seqtui.serve.keys import Keys
from seqtui.serve.params import Limits

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST"}


@pytest.fixture(scope="module")
def models():
    return open_models([], batch_limit=64)


@pytest.fixture
async def client(aiohttp_client, models):
    return await make(aiohttp_client, models)


async def make(aiohttp_client, models, **opts):
    return await aiohttp_client(make_app(models, Options(**opts)), server_kwargs={"handler_cancellation": True})


async def answers_normally(client) -> None:
    resp = await client.post("/translate", json={"q": "Thank you.", "source": "en", "target": "fr"})
    assert resp.status == 200 and (await resp.json())["translatedText"] == seqtui.load("en-fr").translate("Thank you.")


async def error_of(resp, status: int) -> str:
    assert resp.status == status, await resp.text()
    return (await resp.json())["error"]


async def test_health_settings_languages_spec_and_suggest(client):
    """Catches a route missing or answering in another shape than LibreTranslate's."""
    assert await (await client.get("/health")).json() == {"status": "ok"}
    langs = await (await client.get("/languages")).json()
    assert langs == [{"code": "en", "name": "English", "targets": ["fr"]},
                     {"code": "fr", "name": "French", "targets": ["en"]}]
    settings = await (await client.get("/frontend/settings")).json()
    assert settings["charLimit"] == 5000 and settings["language"]["source"]["code"] == "en"
    assert "/translate" in (await (await client.get("/spec")).json())["paths"]
    suggest = await client.post("/suggest", data={"q": "a"})
    assert await error_of(suggest, 403) == "Suggestions are disabled on this server."


async def test_translate_from_json_form_and_query_alike(client):
    """Catches a way of sending parameters that is not read, or a batch whose shape is not the input's."""
    tr = seqtui.load("en-fr")
    one = await (await client.post("/translate", json={"q": "I'm hungry.", "source": "en", "target": "fr"})).json()
    assert one == {"translatedText": tr.translate("I'm hungry.")}
    form = await client.post("/translate", data=[("q", "Go."), ("q", "Thank you."), ("source", "en"),
                                                  ("target", "fr")])
    assert (await form.json())["translatedText"] == [tr.translate("Go."), tr.translate("Thank you.")]
    query = await client.post("/translate", params={"q": "Go.", "source": "en", "target": "fr", "api_key": "x"})
    assert (await query.json())["translatedText"] == tr.translate("Go.")
    assert CORS.items() <= query.headers.items()


async def test_each_sentence_is_translated_alone_and_the_spacing_kept(client):
    """Catches a text of several sentences decoded as one, or its spacing lost."""
    tr = seqtui.load("en-fr")
    text = "I'm hungry.  Where is the station?\nThank you."
    got = (await (await client.post("/translate", json={"q": text, "source": "en", "target": "fr"})).json())
    hungry = tr.translate("I'm hungry.")
    assert got["translatedText"] == (f"{hungry}  {tr.translate('Where is the station?')}\n"
                                     f"{tr.translate('Thank you.')}")


async def test_html_keeps_its_tags_and_unreadable_text_comes_back_unchanged(client):
    """Catches tags sent to the model, or a text the model cannot read replaced by a made-up translation."""
    tr = seqtui.load("en-fr")
    got = await client.post("/translate", json={"q": "<p class=\"x\">Thank you.</p>", "source": "en",
                                                 "target": "fr", "format": "html", "alternatives": 2})
    assert await got.json() == {"translatedText": f"<p class=\"x\">{tr.translate('Thank you.')}</p>",
                                "alternatives": []}
    same = await client.post("/translate", json={"q": "日本語", "source": "en", "target": "fr"})
    assert (await same.json())["translatedText"] == "日本語"


async def test_auto_detection_and_alternatives(client):
    """Catches source=auto answered without its detected language, or alternatives that are not the n-best."""
    got = await (await client.post("/translate", json={"q": "Je suis très fatigué ce soir.", "source": "auto",
                                                        "target": "en", "alternatives": 2})).json()
    assert got["detectedLanguage"]["language"] == "fr" and 50 < got["detectedLanguage"]["confidence"] <= 100
    nbest = seqtui.load("fr-en", beam=3, nbest=3).decode("Je suis très fatigué ce soir.").nbest
    assert got["translatedText"] == nbest[0].text and got["alternatives"] == [h.text for h in nbest[1:]]
    detect = await (await client.post("/detect", data={"q": "Where is my umbrella?"})).json()
    assert detect[0]["language"] == "en"


@pytest.mark.parametrize(("send", "message"), [
    ({"json": {"source": "en", "target": "fr"}}, "Invalid request: missing q parameter"),
    ({"json": {"q": "Go.", "target": "fr"}}, "Invalid request: missing source parameter"),
    ({"json": {"q": "Go.", "source": "zz", "target": "fr"}}, "zz is not supported"),
    ({"json": {"q": "Go.", "source": "en", "target": "zz"}}, "zz is not supported"),
    ({"json": {"q": "Go.", "source": "en", "target": "en"}}, "English (en) is not available as a target language "
                                                             "from English (en)"),
    ({"json": {"q": "x" * 5001, "source": "en", "target": "fr"}}, "Invalid request: request (5001) exceeds text "
                                                                  "limit (5000)"),
    ({"json": {"q": ["Go."] * 65, "source": "en", "target": "fr"}}, "Invalid request: request (65) exceeds text "
                                                                    "limit (64)"),
    ({"json": {"q": "Go.", "source": "en", "target": "fr", "alternatives": 10000}},
     "Invalid request: alternatives parameter must be <= 3"),
    ({"json": {"q": "Go.", "source": "en", "target": "fr", "format": "pdf"}}, "pdf format is not supported"),
    ({"json": [1, 2]}, "Invalid JSON format"),
    ({"data": b'{"q": ', "headers": {"Content-Type": "application/json"}}, "Invalid request: malformed JSON"),
    ({"data": b"q=\xff\xfe&source=en&target=fr", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
     "Invalid request: the body is not UTF-8 (byte 2)"),
    ({"json": {"q": 5, "source": "en", "target": "fr"}}, "Invalid request: q must be a string or a list of strings"),
])
async def test_bad_requests_are_one_400_line_and_the_server_goes_on(client, send, message):
    """Catches a bad input answered with a traceback, a hang or another wording than LibreTranslate's."""
    got = await error_of(await client.post("/translate", **send), 400)
    assert got.startswith(message) and "\n" not in got
    await answers_normally(client)


async def test_an_oversized_body_is_refused_before_it_is_read(aiohttp_client, models):
    """Catches a body read whole whatever its size."""
    client = await make(aiohttp_client, models, limits=Limits(max_body=1000))
    got = await error_of(await client.post("/translate", data={"q": "x" * 2000, "source": "en", "target": "fr"}), 400)
    assert "exceeds size limit (1000 bytes)" in got

    async def chunks():  # no Content-Length: the size is only known by reading
        for _ in range(20):
            yield b"q=" + b"x" * 100

    chunked = await client.post("/translate", data=chunks(),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "exceeds size limit (1000 bytes)" in await error_of(chunked, 400)
    await answers_normally(client)


async def read_events(resp) -> list[tuple[str, dict]]:
    events, name = [], "message"
    async for line in resp.content:
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))
            name = "message"
    return events


@pytest.mark.parametrize("beam", [1, 4])
async def test_streaming_sends_each_character_with_its_probability_then_the_result(client, beam):
    """Catches a stream that sends nothing before the end, drops characters, or ends without the result."""
    tr = seqtui.load("en-fr", beam=beam)
    resp = await client.post("/translate", json={"q": "I'm hungry. Where is it?", "source": "en", "target": "fr",
                                                 "beam": beam}, headers={"Accept": "text/event-stream"})
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    events = await read_events(resp)
    pieces, (last, result) = events[:-1], events[-1]
    hungry = tr.translate("I'm hungry.")
    assert last == "result" and result["translatedText"] == f"{hungry} {tr.translate('Where is it?')}"
    assert "".join(e["text"] for _, e in pieces) == result["translatedText"]
    probs = [e["prob"] for _, e in pieces if e["prob"] is not None]
    assert len(probs) > 10 and all(0 < p <= 1 for p in probs)


@pytest.fixture(scope="module")
def one_row_models():
    return open_models(["en-fr"], batch_limit=1)  # one sentence decoded at a time: a long text takes long


async def test_a_client_leaving_mid_stream_stops_its_decode(aiohttp_client, one_row_models):
    """Catches a decode that runs on for a client that is gone (its sentences decoded to the end)."""
    client = await make(aiohttp_client, one_row_models)
    text = " ".join(["My brother plays the guitar every evening after dinner."] * 30)
    resp = await client.post("/translate", json={"q": text, "source": "en", "target": "fr", "stream": True})
    await resp.content.readline()
    engine = client.server.app[SERVER].engine
    jobs = [t.job for t in engine._tickets.values()]  # the ones not yet done (the first may be)
    resp.close()
    for _ in range(1000):
        if engine.outstanding == 0:
            break
        await asyncio.sleep(0.01)
    assert engine.outstanding == 0 and len(jobs) >= 28
    assert sum(j.cancelled for j in jobs) >= 20 and sum(j.steps for j in jobs) < 20 * 40
    await answers_normally(client)


async def test_a_full_queue_is_429_with_retry_after_at_once(aiohttp_client, models):
    """Catches a request past the queue's bound left to wait (a hang) instead of refused."""
    client = await make(aiohttp_client, models, queue_limit=2)
    resp = await client.post("/translate", json={"q": "Go. Run. Stop.", "source": "en", "target": "fr"})
    assert (await error_of(resp, 429)).startswith("Slowdown:") and resp.headers["Retry-After"] == "1"
    many = await asyncio.gather(*(client.post("/translate", json={"q": f"Go {k}.", "source": "en", "target": "fr"})
                                  for k in range(8)))
    assert {r.status for r in many} <= {200, 429} and 200 in {r.status for r in many}
    assert all("Retry-After" in r.headers for r in many if r.status == 429)
    await answers_normally(client)


async def test_keys_missing_unknown_and_over_their_rate(aiohttp_client, models):
    """Catches keys not asked for, an unknown key let in, or a rate that is never reached."""
    client = await make(aiohttp_client, models, keys=Keys({"k1": 2}))
    body = {"q": "Go.", "source": "en", "target": "fr"}
    assert await error_of(await client.post("/translate", json=body), 400) == \
        "Please contact the server operator to get an API key"
    assert await error_of(await client.post("/translate", json={**body, "api_key": "nope"}), 403) == "Invalid API key"
    for _ in range(2):
        assert (await client.post("/translate", json={**body, "api_key": "k1"})).status == 200
    over = await client.post("/translate", json={**body, "api_key": "k1"})
    assert (await error_of(over, 429)).startswith("Slowdown") and int(over.headers["Retry-After"]) >= 1


async def test_the_page_and_its_assets_are_served_by_seqtui(client):
    """Catches a page that loads anything from elsewhere, or an asset path that reaches the file system."""
    page = await (await client.get("/")).text()
    assert "/static/app.js" in page and "http" not in page
    assert (await client.get("/static/app.js")).status == 200
    assert (await client.get("/static/..%2f..%2fapi.py")).status == 404


async def test_a_request_over_its_time_budget_is_503_and_the_server_goes_on(aiohttp_client, models):
    """Catches a time budget that is never enforced (a long request holding its rows for ever)."""
    client = await make(aiohttp_client, models, budget=0.0)
    resp = await client.post("/translate", json={"q": "Thank you.", "source": "en", "target": "fr"})
    assert (await error_of(resp, 503)).startswith("Cannot translate text: it took over the time budget")
    assert client.server.app[SERVER].engine.outstanding == 0


def test_the_keys_file_is_read_bounded_and_its_errors_are_one_line(tmp_path):
    """Catches a malformed keys file accepted (a rate of 0 or words past the rate) or a traceback for one."""
    from seqtui.errors import ConfigError

    good = tmp_path / "keys"
    good.write_text("# team keys\nk1 120\n\nk2\n", encoding="utf-8")
    assert Keys.read(good, default_rate=7).rates == {"k1": 120, "k2": 7}
    for text in ("k1 0\n", "k1 12 extra\n", "k1 many\n", "# nothing\n"):
        good.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as e:
            Keys.read(good)
        assert "\n" not in str(e.value)


async def test_a_failing_step_answers_500_and_the_engine_goes_on(aiohttp_client):
    """Catches an engine thread that dies with a failing step, leaving every request after it waiting."""
    broken = open_models(["en-fr"], batch_limit=8)
    real = broken[0].batcher.net.step
    calls = {"n": 0}

    def fails_once(*args):
        calls["n"] += 1
        if calls["n"] == 1:
            raise FloatingPointError("overflow in a step")
        return real(*args)

    broken[0].batcher.net.step = fails_once
    client = await make(aiohttp_client, broken)
    resp = await client.post("/translate", json={"q": "Thank you.", "source": "en", "target": "fr"})
    assert await error_of(resp, 500) == "Cannot translate text: FloatingPointError: overflow in a step"
    await answers_normally(client)


async def test_requests_before_the_models_are_read_wait_for_them_and_health_does_not(aiohttp_client, models):
    """Catches a server that answers /health only once its models are read (slow to start), or one that
    fails the requests arriving while it reads them."""
    client = await make(aiohttp_client, [])
    assert await (await client.get("/health")).json() == {"status": "ok"}
    early = asyncio.ensure_future(client.post("/translate", json={"q": "Thank you.", "source": "en", "target": "fr"}))
    await asyncio.sleep(0.05)
    assert not early.done()
    client.server.app[SERVER].loaded(models)
    assert (await early).status == 200


def test_a_model_that_does_not_exist_is_one_line_and_exit_1(tmp_path):
    """Catches a missing model found only once the server listens (or as a traceback)."""
    from typer.testing import CliRunner

    from seqtui.cli import app

    got = CliRunner().invoke(app, ["serve", "--port", "1", "--model", str(tmp_path / "nothing")])
    assert got.exit_code == 1 and "no model named" in got.output and len(got.output.strip().splitlines()) == 1
