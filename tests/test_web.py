"""`seqtui dashboard --web`: the page loads nothing from outside, a tab gets a dashboard process of its
own, and stopping the server leaves no process behind. With Debian's chromium, chromium-driver and
selenium installed, the page is also loaded in headless Chromium and the app is seen to draw."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from seqtui.tui.web import exposure_warning, tab_command

ROOT = Path(__file__).resolve().parents[1]
BOUND = 120.0  # seconds: Python's start and a dashboard's first screen on a loaded machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "seqtui", "dashboard", "--web", "--port", str(port),
                             "--model-dir", str(tmp_path / "run")], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def fetch(url: str) -> str:
    deadline = time.monotonic() + BOUND
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return str(answer.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def stop(server: subprocess.Popen[str]) -> str:
    server.send_signal(signal.SIGINT)
    out, _ = server.communicate(timeout=BOUND)
    return out


@pytest.fixture
def served(tmp_path: Path):
    port = free_port()
    server = start_server(tmp_path, port)
    try:
        yield server, port
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_the_page_loads_nothing_from_outside_and_the_server_leaves_no_process(served) -> None:
    """Catches textual-serve's own page (it fetches a web font from a CDN), and a tab's dashboard process
    left running once the server is stopped."""
    server, port = served
    page = fetch(f"http://127.0.0.1:{port}/")
    assert 'id="terminal"' in page
    urls = re.findall(r"(?:https?|wss?)://[^\s\"'<>)]+", page)
    assert urls and all(re.match(rf"(?:http|ws)://127\.0\.0\.1:{port}/", u) for u in urls), urls
    assert fetch(f"http://127.0.0.1:{port}/static/js/textual.js")

    async def open_tab() -> None:  # what a browser tab does: open the websocket, which starts a dashboard
        import aiohttp

        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"ws://127.0.0.1:{port}/ws?width=80&height=24") as ws:
                deadline = time.monotonic() + BOUND
                while not any("dashboard" in " ".join(p.cmdline()) for p in psutil.Process(server.pid).children(
                        recursive=True) if p.is_running()):
                    assert time.monotonic() < deadline, "no dashboard process for the tab"
                    await asyncio.sleep(0.2)
                await ws.receive(timeout=BOUND)  # the app's first bytes
                tabs.extend(psutil.Process(server.pid).children(recursive=True))
                out = stop_in_thread()
                await asyncio.sleep(0)
                await out

    tabs: list[psutil.Process] = []
    said: list[str] = []

    def stop_in_thread():
        return asyncio.get_running_loop().run_in_executor(None, lambda: said.append(stop(server)))

    asyncio.run(open_tab())
    assert tabs, "the tab's processes"
    wait_for(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in tabs),
             "the tab's processes to end")
    assert server.returncode is not None and "seqtui dashboard on" in said[0]


def test_the_server_says_what_listening_beyond_this_machine_means_and_keeps_its_own_flags_to_itself():
    """Catches --host 0.0.0.0 served without a word about who reaches it, or a tab started with --web
    (it would start a server of its own)."""
    assert exposure_warning("127.0.0.1", 8000) == ""
    warning = exposure_warning("0.0.0.0", 8123)
    assert "no login" in warning and "ssh -L 8123:127.0.0.1:8123" in warning
    command = tab_command(["--web", "--host", "0.0.0.0", "--port=9000", "--epochs", "5", "--leave-runs"])
    assert command.endswith("-m seqtui dashboard --epochs 5")


def colours(png: bytes) -> int:
    """How many distinct colours a screenshot has."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 20) or [])


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")), reason="no chromium")
def test_headless_chromium_draws_the_dashboard(served) -> None:
    """Catches a page whose app never draws in a real browser (a template the client script cannot use)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    server, port = served
    fetch(f"http://127.0.0.1:{port}/")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    browser = webdriver.Chrome(options=options, service=service)
    try:
        browser.get(f"http://127.0.0.1:{port}/")
        wait_for(lambda: "-first-byte" in (browser.find_element("tag name", "body").get_attribute("class") or ""),
                 "the app's first bytes in the browser")
        # xterm.js draws on a canvas, so the app is seen in the pixels: the first screen's panels, borders
        # and footer keys in many colours, where the page alone shows one line of text on a plain ground
        wait_for(lambda: colours(browser.get_screenshot_as_png()) > 40, "the dashboard drawn")
    finally:
        browser.quit()
    assert "seqtui dashboard on" in stop(server)


async def test_a_tabs_t_trains_in_a_process_that_outlives_the_tab_and_stops_with_the_server(
        tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a browser tab training in its own thread (closing the tab would end the run), the tab not
    following its trainer, or the server's stop leaving the trainer running or killing it unsaved."""
    from conftest import TINY_FLAGS
    from tui_fakes import tiny_config
    from tui_pilot import until

    from seqtui.store import bundle, lock
    from seqtui.tui import web
    from seqtui.tui.app import make_app
    from seqtui.tui.training.dashboard import Dashboard
    from seqtui.tui.training.epoch_table import EpochTable
    from seqtui.tui.training.starts import TrainFlags

    runs = tmp_path / "server-runs"
    runs.mkdir()
    monkeypatch.setenv(web.RUNS_ENV, str(runs))
    settings = {**TINY_FLAGS, "train_dir": tiny_corpus, "epochs": 200}
    cfg = tiny_config(train_dir=tiny_corpus, model_dir=tmp_path / "run", epochs=200)
    app = make_app(cfg, flags=TrainFlags(settings=settings))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, Dashboard)
        await pilot.press("t")
        assert not screen.running, "a tab never trains in its own process"
        table = screen.query_one(EpochTable)
        await until(pilot, lambda: table.row_count >= 1, timeout=300, what="the detached run's first epoch")
        trainer = screen.detached
        assert trainer is not None and screen.follow_dir == cfg.model_dir
    assert trainer.running(), "closing the tab left the run training"
    assert web.noted_runs(runs) == [(trainer.process.pid, str(cfg.model_dir))]
    said: list[str] = []
    web.stop_runs(runs, said.append)
    assert said and "stopped with a checkpoint" in said[-1], said
    assert not trainer.running()
    assert lock.owner(cfg.model_dir) is None and bundle.read_checkpoint(cfg.model_dir) is not None
