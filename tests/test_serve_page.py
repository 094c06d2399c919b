"""The page `seqtui serve` answers at `/`, in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by selenium) types a sentence, sees its translation stream in, shaded
character by character, and the screenshot is kept. Skips cleanly where any of the three is absent."""

from __future__ import annotations

import re
import shutil
import signal

import pytest

from tests.test_serve_clients import Served

webdriver = pytest.importorskip("selenium.webdriver")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver")


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=420,800"):  # a phone's width: the page is meant to be usable there
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_a_sentence_typed_into_the_page_streams_in_shaded(browser, tmp_path):
    """Caught: the page fetching an asset it cannot reach (nothing shows), the stream not read (the answer
    never arrives), the characters not shaded by their probability."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    served = Served("--model", "en-fr")
    try:
        browser.get(served.url)
        wait = WebDriverWait(browser, 120)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#direction option"))
        assert "en → fr" in browser.find_element(By.ID, "direction").text
        browser.find_element(By.ID, "q").send_keys("I'm hungry. Thank you.")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        # both sentences in, each with its closing mark ("J'ai faim. Merci !")
        wait.until(lambda d: len(re.findall(r"[.!?]", d.find_element(By.ID, "out").text)) >= 2)
        out = browser.find_element(By.ID, "out")
        spans = out.find_elements(By.TAG_NAME, "span")
        assert len(spans) >= len(out.text.replace(" ", "")) // 2  # streamed a character at a time
        assert any(s.get_attribute("title").endswith("%") for s in spans)  # each shaded by its probability
        assert re.fullmatch(r"\S.*[.!?] \S.*[.!?]", out.text), out.text  # two sentences, joined as typed
        assert browser.find_element(By.ID, "error").text == ""
        shot = tmp_path / "serve-page.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 1000
        # every request the page made went to the server itself: nothing from a CDN
        urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert urls and all(u.startswith(served.url) for u in urls)
    finally:
        code, err = served.stop(signal.SIGTERM)
    assert code == 0, err
