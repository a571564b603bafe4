"""Bot detection against real browsers (issue: smart signals).

Four ways to run Debian's Chromium against the demo page of a running Argus,
and the `bot` verdict the server must reach for each (spec §8a):

- plain `chromium --headless=new` (no WebDriver): bad
- Selenium + chromedriver, headless: bad
- Selenium + chromedriver, headful on a virtual display (Xvfb): bad
- plain headful Chromium on Xvfb, no automation at all: not bad

Needs what test_agent_browser.py needs, plus Xvfb (`apt-get install xvfb`).
Each browser's event is found through the Server API by a unique linkedId.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import pytest

import test_agent_browser as agent
from test_agent_browser import browser, fresh_environment  # noqa: F401  (fixtures; fresh_environment is autouse)

pytestmark = agent.pytestmark

XVFB = shutil.which("Xvfb")


def _find_event(linked_id, timeout_s=40):
    """The event with this linkedId, through GET /v4/events?linked_id=… (waits for it)."""
    url = agent.ARGUS_URL + "/v4/events?" + urllib.parse.urlencode({"linked_id": linked_id})
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + agent.SECRET_KEY})
        with urllib.request.urlopen(req, timeout=10) as res:
            events = json.loads(res.read().decode("utf-8")).get("events") or []
        if events:
            return events[0]
        time.sleep(0.5)
    pytest.fail("no event with linkedId %s arrived within %ss" % (linked_id, timeout_s))


@pytest.fixture
def display():
    """A private Xvfb display, e.g. ':93'."""
    if not XVFB:
        pytest.fail("Xvfb not found (apt-get install xvfb)")
    for number in range(90, 140):
        if not os.path.exists("/tmp/.X11-unix/X%d" % number) and not os.path.exists("/tmp/.X%d-lock" % number):
            break
    proc = subprocess.Popen([XVFB, ":%d" % number, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        if os.path.exists("/tmp/.X11-unix/X%d" % number):
            break
        time.sleep(0.1)
    try:
        yield ":%d" % number
    finally:
        proc.terminate()
        proc.wait(10)


def _plain_chromium(args, linked_id, env=None, run_s=None):
    profile = tempfile.mkdtemp(prefix="argus-chromium-")
    cmd = [agent.CHROMIUM, "--no-sandbox", "--no-first-run", "--disable-dev-shm-usage",
           "--user-data-dir=" + profile, *args, agent._demo_url(linked_id)]
    try:
        if run_s is None:
            subprocess.run(cmd, env=env, timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            return _find_event(linked_id)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            return _find_event(linked_id, timeout_s=run_s)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_plain_headless_chromium_is_a_bad_bot():
    linked = "headless-" + uuid.uuid4().hex[:8]
    event = _plain_chromium(["--headless=new", "--virtual-time-budget=15000", "--dump-dom"], linked)
    assert event["bot"] == "bad", event.get("bot")
    assert event["bot_type"] == "headless_browser"
    assert "HeadlessChrome" in event["user_agent"]
    assert event["risk"]["level"] in ("high", "critical"), event["risk"]


def test_selenium_headless_is_a_bad_bot(browser):
    linked = "selenium-headless-" + uuid.uuid4().hex[:8]
    outcome = agent.open_demo(browser, linked_id=linked)
    event = agent._get_event(outcome["result"]["requestId"])
    assert event["bot"] == "bad"
    assert event["bot_type"] == "selenium"
    assert "webdriver" in event["risk"]["flags"]
    assert event["suspect_score"] >= 10


def test_selenium_headful_on_xvfb_is_a_bad_bot(display):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = agent.CHROMIUM
    for arg in ("--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    env = dict(os.environ, DISPLAY=display)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=agent.CHROMEDRIVER, env=env))
    try:
        linked = "selenium-headful-" + uuid.uuid4().hex[:8]
        outcome = agent.open_demo(driver, linked_id=linked)
        assert "HeadlessChrome" not in outcome["components"]["userAgent"]
        event = agent._get_event(outcome["result"]["requestId"])
    finally:
        driver.quit()
    assert event["bot"] == "bad"
    assert event["bot_type"] == "selenium"


def test_plain_headful_chromium_on_xvfb_is_not_a_bad_bot(display):
    linked = "human-" + uuid.uuid4().hex[:8]
    env = dict(os.environ, DISPLAY=display)
    event = _plain_chromium(["--window-size=1280,900"], linked, env=env, run_s=40)
    assert "HeadlessChrome" not in event["user_agent"]
    assert event["bot"] == "not_detected", (event.get("bot"), event.get("bot_type"), event.get("risk"))
    assert event["tampering"] is False
    assert event["incognito"] is False  # a normal window (test_incognito.py has the incognito ones)
    assert event["risk"]["level"] in ("minimal", "low"), event["risk"]
