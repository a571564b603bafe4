"""Browser tests of the Argus agent (GET /agent.js, GET /demo) against a running server.

They drive Debian's Chromium through chromedriver (Selenium) and need:

  ARGUS_URL         base URL of a running Argus server, e.g. http://127.0.0.1:8080
  ARGUS_PUBLIC_KEY  a public key (pk_...) of an environment of that server
  ARGUS_SECRET_KEY  optional: a secret key (sk_...) of the same environment; when
                    set, the events are also read back through GET /v4/events/{id}

With ARGUS_BIN (the argus executable) and ARGUS_DATA_DIR (the running server's
data directory) set, every test gets a fresh environment with its own keys,
created through the CLI, so that browsers of earlier tests (identical devices
on one address, as far as the server can tell) do not stand in its way.

Optional: CHROMIUM_BINARY (default /usr/bin/chromium), CHROMEDRIVER (default
/usr/bin/chromedriver), ARGUS_MAX_COLLECT_MS (default 500: the limit for a
collection in a warm browser; a browser's very first collection may take twice
that), ARGUS_BROWSER_HEADFUL=1 to run with a window (e.g. under xvfb-run).

Without ARGUS_URL and ARGUS_PUBLIC_KEY every test is skipped. Install with
`pip install -r tests/requirements.txt` and `apt-get install chromium
chromium-driver`; run with `python -m pytest tests/browser`.
"""

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

ARGUS_URL = os.environ.get("ARGUS_URL", "").rstrip("/")
PUBLIC_KEY = os.environ.get("ARGUS_PUBLIC_KEY", "")
SECRET_KEY = os.environ.get("ARGUS_SECRET_KEY", "")
CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
MAX_COLLECT_MS = float(os.environ.get("ARGUS_MAX_COLLECT_MS", "500"))
HEADFUL = os.environ.get("ARGUS_BROWSER_HEADFUL", "") == "1"
ARGUS_BIN = os.environ.get("ARGUS_BIN", "")
ARGUS_DATA_DIR = os.environ.get("ARGUS_DATA_DIR", "")
PAGE_TIMEOUT_S = 30
ENVIRONMENT = None  # the fresh environment's name, when the CLI made one

pytestmark = pytest.mark.skipif(
    not ARGUS_URL or not PUBLIC_KEY,
    reason="set ARGUS_URL and ARGUS_PUBLIC_KEY to run the browser tests against a running Argus server",
)

# Component types fixed by agent-protocol.md ("Types"); every one may be null.
_INT = "integer"
_NUM = "number"
_STR = "string"
_BOOL = "boolean"
_STRS = "strings"
PROTOCOL_TYPES = {
    "userAgent": _STR, "platform": _STR, "vendor": _STR, "languages": _STRS, "timezone": _STR,
    "timezoneOffset": _INT, "hardwareConcurrency": _INT, "deviceMemory": _NUM, "maxTouchPoints": _INT,
    "canvas": _STR, "webglVendor": _STR, "webglRenderer": _STR, "audio": _NUM, "fonts": _STRS,
    "storageQuota": _NUM, "cookiesEnabled": _BOOL, "webdriver": _BOOL,
}


def _has_type(value, kind):
    if value is None:
        return True
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _STRS:
        return isinstance(value, list) and all(isinstance(x, str) for x in value)
    raise AssertionError(kind)


def _argus_json(*args):
    out = subprocess.run([ARGUS_BIN, *args, "--json", "--data-dir", ARGUS_DATA_DIR],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture(autouse=True)
def fresh_environment():
    """A new environment and keys for each test (when the CLI is at hand)."""
    global PUBLIC_KEY, SECRET_KEY, ENVIRONMENT
    saved = PUBLIC_KEY, SECRET_KEY, ENVIRONMENT
    if ARGUS_BIN and ARGUS_DATA_DIR:
        name = "browser-" + uuid.uuid4().hex[:10]
        ENVIRONMENT = name
        _argus_json("environments", "create", name)
        PUBLIC_KEY = _argus_json("keys", "create", "--environment", name, "--kind", "public")["key"]
        SECRET_KEY = _argus_json("keys", "create", "--environment", name, "--kind", "secret", "--scopes", "read:events")["key"]
    try:
        yield
    finally:
        PUBLIC_KEY, SECRET_KEY, ENVIRONMENT = saved


def _new_driver(*extra_args):
    if not os.path.exists(CHROMEDRIVER):
        pytest.fail("chromedriver not found at %s (apt-get install chromium-driver, or set CHROMEDRIVER)" % CHROMEDRIVER)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    args = ["--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]
    if not HEADFUL:
        args.append("--headless=new")
    for arg in args + list(extra_args):
        options.add_argument(arg)
    # An explicit driver path keeps Selenium Manager from trying to download one.
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


def _warm_cache_storage(driver):
    """A browser in real use has long created its Cache Storage backend (any site's service
    worker does); chromedriver's profiles are brand new, and creating it on disk has taken
    over 500 ms on a busy machine, past the agent's cacheUsage budget. Open and delete one
    cache on the server's origin first, without running the agent."""
    driver.get(ARGUS_URL + "/v1/ping")
    driver.set_script_timeout(PAGE_TIMEOUT_S)
    driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "caches.open('warm-up').then(function () { return caches.delete('warm-up'); })"
        ".then(function () { done(true); }, function () { done(false); });")


@pytest.fixture
def browser():
    driver = _new_driver()
    try:
        _warm_cache_storage(driver)
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def incognito_browser():
    driver = _new_driver("--incognito")
    try:
        yield driver
    finally:
        driver.quit()


def _demo_url(linked_id=None, public_key=None):
    query = {"publicKey": PUBLIC_KEY if public_key is None else public_key}
    if linked_id is not None:
        query["linkedId"] = linked_id
    return ARGUS_URL + "/demo?" + urllib.parse.urlencode(query)


def _wait_for_outcome(driver):
    WebDriverWait(driver, PAGE_TIMEOUT_S).until(
        lambda d: d.execute_script("return document.body && document.body.dataset.state") in ("done", "error"),
        "the demo page never reached data-state done or error",
    )
    return driver.execute_script(
        "return {state: document.body.dataset.state, result: window.__argusResult || null,"
        " error: window.__argusError || null, components: window.__argusComponents || null}"
    )


def open_demo(driver, linked_id=None, expect="done", public_key=None):
    driver.get(_demo_url(linked_id, public_key))
    outcome = _wait_for_outcome(driver)
    assert outcome["state"] == expect, "demo page state %r, error %r" % (outcome["state"], outcome["error"])
    return outcome


def _check_result(result):
    assert isinstance(result, dict), result
    assert re.fullmatch(r"[0-9A-Za-z]{20}", result.get("visitorId") or ""), "visitorId %r" % result.get("visitorId")
    assert re.fullmatch(r"\d{10,16}\.[0-9A-Za-z]{1,32}", result.get("requestId") or ""), "requestId %r" % result.get("requestId")
    assert isinstance(result.get("visitorFound"), bool), result
    confidence = result.get("confidence")
    assert isinstance(confidence, dict) and isinstance(confidence.get("score"), (int, float)), result
    assert 0 <= confidence["score"] <= 1, result


def _check_components(components):
    assert isinstance(components, dict), components
    for name, kind in PROTOCOL_TYPES.items():
        assert name in components, "component %s missing" % name
        assert _has_type(components[name], kind), "component %s = %r is not a %s or null" % (name, components[name], kind)
    screen = components["screen"]
    assert isinstance(screen, dict), screen
    for key in ("width", "height", "colorDepth"):
        assert _has_type(screen.get(key), _INT) and screen.get(key) is not None, "screen.%s = %r" % (key, screen.get(key))
    assert _has_type(screen.get("pixelRatio"), _NUM) and screen.get("pixelRatio") is not None, screen
    # Values every Chromium exposes: measured, not merely present.
    assert re.fullmatch(r"[0-9a-f]{16}", components["canvas"] or ""), "canvas %r" % components["canvas"]
    assert isinstance(components["audio"], (int, float)) and components["audio"] > 0, components["audio"]
    assert components["fonts"], "no font was detected"
    assert components["userAgent"] and components["languages"] and components["timezone"], components
    assert components["cookiesEnabled"] is True
    assert components.get("_errors") == {}, "sources failed: %r" % components.get("_errors")


def _get_event(request_id, attempts=20):
    """GET /v4/events/{id} with the secret key; retries briefly while the event is not stored yet."""
    url = ARGUS_URL + "/v4/events/" + urllib.parse.quote(request_id, safe="")
    last = None
    for _ in range(attempts):
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + SECRET_KEY, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return json.loads(res.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            last = "%s %s" % (e.code, e.read()[:300])
            if e.code != 404:
                break
        time.sleep(0.25)
    pytest.fail("GET /v4/events/%s failed: %s" % (request_id, last))


def _clear_all_storage(driver):
    """Deletes the origin's cookies, localStorage, IndexedDB (all site data) and checks that nothing is left."""
    driver.delete_all_cookies()
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": ARGUS_URL, "storageTypes": "all"})
    left = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "var dbs = indexedDB.databases ? indexedDB.databases() : Promise.resolve([]);"
        "dbs.then(function (list) { done({cookie: document.cookie, localStorage: localStorage.length,"
        " databases: list.map(function (d) { return d.name; })}); });"
    )
    assert left == {"cookie": "", "localStorage": 0, "databases": []}, "storage not empty after clearing: %r" % left


def test_demo_page_identifies_the_browser(browser):
    linked_id = "browser-test-" + uuid.uuid4().hex[:12]
    outcome = open_demo(browser, linked_id)
    _check_result(outcome["result"])
    _check_components(outcome["components"])
    # The page shows the result, not just the globals.
    shown = browser.execute_script("return document.getElementById('visitorId').textContent")
    assert shown == outcome["result"]["visitorId"]
    if SECRET_KEY:
        event = _get_event(outcome["result"]["requestId"])
        assert event.get("event_id") == outcome["result"]["requestId"], event.get("event_id")
        assert event.get("identification", {}).get("visitor_id") == outcome["result"]["visitorId"], event.get("identification")
        assert event.get("linked_id") == linked_id, event.get("linked_id")
        assert isinstance(event.get("timestamp"), int), event.get("timestamp")


def test_collection_time(browser):
    first = open_demo(browser)["components"]["_collectMs"]
    again = open_demo(browser)["components"]["_collectMs"]
    assert isinstance(first, (int, float)) and isinstance(again, (int, float))
    assert again < MAX_COLLECT_MS, "collection took %s ms in a warm browser (limit %s)" % (again, MAX_COLLECT_MS)
    assert first < 2 * MAX_COLLECT_MS, "first collection took %s ms (limit %s)" % (first, 2 * MAX_COLLECT_MS)


def test_reload_gives_the_same_visitor(browser):
    first = open_demo(browser)["result"]
    browser.refresh()
    second = _wait_for_outcome(browser)
    assert second["state"] == "done", second["error"]
    assert second["result"]["visitorId"] == first["visitorId"]
    assert second["result"]["visitorFound"] is True
    assert second["result"]["requestId"] != first["requestId"]


def test_token_survives_clearing_cookies_and_local_storage(browser):
    first = open_demo(browser)["result"]
    browser.delete_all_cookies()
    browser.execute_script("localStorage.clear()")
    assert browser.execute_script("return localStorage.length") == 0
    second = open_demo(browser)["result"]
    assert second["visitorId"] == first["visitorId"]
    assert second["visitorFound"] is True
    # The agent put the token back into the cleared stores.
    WebDriverWait(browser, 5).until(
        lambda d: d.execute_script("return localStorage.length") > 0 and len(d.get_cookies()) > 0,
        "the agent did not restore its cookie and localStorage entry",
    )


def test_same_visitor_after_deleting_all_storage(browser):
    first = open_demo(browser)["result"]
    _clear_all_storage(browser)
    # Nothing stored remains: the server can only recognise the browser by its fingerprint.
    second = open_demo(browser)["result"]
    assert second["visitorId"] == first["visitorId"], "a browser without stored token got a new visitor id"
    assert second["visitorFound"] is True


def _cache_usage(components):
    """The agent's cacheUsage readings [before, afterFirst, afterSecond], checked for shape."""
    readings = components.get("cacheUsage")
    assert isinstance(readings, list) and len(readings) == 3, "cacheUsage %r" % (readings,)
    assert all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in readings), readings
    return readings


def _require_secret_key():
    if not SECRET_KEY:
        pytest.skip("set ARGUS_SECRET_KEY (or ARGUS_BIN and ARGUS_DATA_DIR) to read the stored event")


def test_incognito_window(incognito_browser):
    _require_secret_key()
    outcome = open_demo(incognito_browser, "browser-test-incognito")
    _check_result(outcome["result"])
    _check_components(outcome["components"])
    quota = outcome["components"]["storageQuota"]
    # Present and measured. (Debian's Chromium 156 reports the same static
    # quota in incognito as in a normal profile, so its size is not asserted.)
    assert isinstance(quota, (int, float)) and quota > 0, quota
    _cache_usage(outcome["components"])
    event = _get_event(outcome["result"]["requestId"])
    assert event.get("event_id") == outcome["result"]["requestId"]
    assert event.get("identification", {}).get("visitor_id") == outcome["result"]["visitorId"]
    assert event.get("incognito") is True, (event.get("incognito"), outcome["components"]["cacheUsage"])
    assert "incognito" in event["risk"]["flags"], event["risk"]


def test_normal_window_is_not_incognito(browser):
    _require_secret_key()
    # A fresh profile, then the same profile again with the agent's token stored.
    for linked_id in ("browser-test-normal-first", "browser-test-normal-again"):
        outcome = open_demo(browser, linked_id)
        _cache_usage(outcome["components"])
        event = _get_event(outcome["result"]["requestId"])
        assert event.get("linked_id") == linked_id
        assert event.get("incognito") is False, (linked_id, event.get("incognito"), outcome["components"]["cacheUsage"])
        assert "incognito" not in event["risk"]["flags"], event["risk"]


def test_incognito_window_is_the_same_visitor(browser, incognito_browser):
    normal = open_demo(browser)["result"]
    private = open_demo(incognito_browser)["result"]
    # Same machine, same browser build: the fingerprint matches although the
    # incognito profile has none of the normal profile's storage.
    assert private["visitorId"] == normal["visitorId"]


def test_demo_shows_parameters_as_text(browser):
    payload = '<img id="injected" src="x">'
    open_demo(browser, payload)
    assert browser.execute_script("return document.getElementById('injected')") is None
    assert browser.execute_script("return document.getElementById('lid').textContent") == payload


def test_unknown_public_key_is_reported(browser):
    outcome = open_demo(browser, public_key="pk_" + uuid.uuid4().hex, expect="error")
    error = outcome["error"]
    assert error["status"] == 403, error
    assert isinstance(error["code"], str) and error["code"], error
    assert outcome["result"] is None


# ---- Noxtica-style client: Argus.createClient(...).checkOnce() and the script-tag form ----

RISK_LEVELS = {"minimal", "low", "medium", "high", "critical"}


def _blank_page(driver):
    """A page of the server's origin without the agent (the agent's storage lives on that origin)."""
    driver.get(ARGUS_URL + "/v1/ping")
    driver.execute_script("try { localStorage.clear(); } catch (e) {}")


def _load_agent(driver, attributes=None, wait_event=None):
    """Adds <script src=/agent.js> with the attributes; waits for its load, or for a window event's detail."""
    script = (
        "var done = arguments[arguments.length - 1], attrs = arguments[0], wait = arguments[1];"
        "var s = document.createElement('script'); s.src = arguments[2] + '/agent.js';"
        "Object.keys(attrs).forEach(function (k) { s.setAttribute(k, attrs[k]); });"
        "if (wait) {"
        "  window.addEventListener(wait, function (e) { done({event: wait, detail: e.detail && (e.detail.message ? {code: e.detail.code, message: e.detail.message} : e.detail)}); });"
        "  window.addEventListener('argus:error', function (e) { done({event: 'argus:error', detail: {code: e.detail.code, message: e.detail.message}}); });"
        "} else { s.onload = function () { done(null); }; }"
        "s.onerror = function () { done({event: 'load-error'}); };"
        "document.head.appendChild(s);"
    )
    driver.set_script_timeout(PAGE_TIMEOUT_S)
    return driver.execute_async_script(script, attributes or {}, wait_event, ARGUS_URL)


def _identify_requests(driver):
    return driver.execute_script(
        "return performance.getEntriesByType('resource').filter(function (e) {"
        " return e.name.indexOf('/v1/identify') >= 0; }).length")


def _check_client_result(result):
    assert isinstance(result, dict), result
    assert set(result) == {"fingerprintId", "visitorId", "score", "risk_level", "requestId", "sealedResult"}, result
    assert re.fullmatch(r"[0-9A-Za-z]{20}", result["fingerprintId"] or ""), result
    assert result["visitorId"] == result["fingerprintId"], result
    assert re.fullmatch(r"\d{10,16}\.[0-9A-Za-z]{1,32}", result["requestId"] or ""), result
    # From the server's answer (its `risk` object), never computed in the browser.
    assert isinstance(result["score"], int) and 0 <= result["score"] <= 100, result
    assert result["risk_level"] in RISK_LEVELS, result


def _check_once(driver, options):
    driver.set_script_timeout(PAGE_TIMEOUT_S)
    out = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "var c = Argus.createClient(arguments[0]);"
        "c.checkOnce().then(function (a) { return c.checkOnce().then(function (b) { done({a: a, b: b}); }); },"
        " function (e) { done({error: {code: e.code, message: e.message}}); });",
        options,
    )
    assert "error" not in out, out
    return out["a"], out["b"]


def test_create_client_check_once_caches_within_the_interval(browser):
    _blank_page(browser)
    assert _load_agent(browser) is None
    # siteKey (Noxtica's name) and publicKey are both accepted.
    first, again = _check_once(browser, {"siteKey": PUBLIC_KEY, "endpoint": ARGUS_URL, "interval": 60000})
    _check_client_result(first)
    assert again == first, "a second checkOnce() within the interval must reuse the result"
    assert _identify_requests(browser) == 1

    # A page loaded within the interval reuses the stored result: no new identification.
    browser.get(ARGUS_URL + "/v1/ping")
    assert _load_agent(browser) is None
    cached, _ = _check_once(browser, {"publicKey": PUBLIC_KEY, "endpoint": ARGUS_URL, "interval": 60000})
    assert cached == first
    assert _identify_requests(browser) == 0

    # Interval 0: every call identifies again (same device, new request).
    fresh, fresh2 = _check_once(browser, {"publicKey": PUBLIC_KEY, "endpoint": ARGUS_URL, "interval": 0})
    _check_client_result(fresh)
    assert fresh["requestId"] != first["requestId"] and fresh2["requestId"] != fresh["requestId"]
    assert fresh["fingerprintId"] == first["fingerprintId"]
    assert _identify_requests(browser) == 2

    # The backend looks the fingerprintId up through the Device API and finds the same verdict.
    if ARGUS_BIN and ARGUS_DATA_DIR and ENVIRONMENT:
        key = _argus_json("keys", "create", "--environment", ENVIRONMENT, "--kind", "secret", "--scopes", "read:device")["key"]
        req = urllib.request.Request(
            ARGUS_URL + "/v1/device/" + urllib.parse.quote(first["fingerprintId"]), headers={"Authorization": "Bearer " + key})
        with urllib.request.urlopen(req, timeout=10) as res:
            body = json.loads(res.read().decode("utf-8"))
        assert body["ok"] is True
        device = body["device"]
        assert device["deviceId"] == first["fingerprintId"]
        assert device["score"] == fresh2["score"] and device["riskLevel"] == fresh2["risk_level"], (device, fresh2)


def test_script_tag_auto_init(browser):
    _blank_page(browser)
    out = _load_agent(
        browser, {"data-site-key": PUBLIC_KEY, "data-auto-init": "", "data-endpoint": ARGUS_URL, "data-interval": "60000"},
        wait_event="argus:result")
    assert out and out["event"] == "argus:result", out
    _check_client_result(out["detail"])
    # Argus.ready is the same result, and Argus.client reuses it.
    browser.set_script_timeout(PAGE_TIMEOUT_S)
    same = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "Argus.ready.then(function (r) { Argus.client.checkOnce().then(function (c) { done([r, c]); }); });")
    assert same[0] == out["detail"] and same[1] == out["detail"]
    assert _identify_requests(browser) == 1


def test_script_tag_with_an_unknown_site_key_reports_the_error(browser):
    _blank_page(browser)
    out = _load_agent(
        browser, {"data-site-key": "pk_" + uuid.uuid4().hex, "data-auto-init": "", "data-endpoint": ARGUS_URL},
        wait_event="argus:result")
    assert out["event"] == "argus:error", out
    assert out["detail"]["code"], out


# ---- failures inside sources, and the request's own fields ----

def _collect_on_blank_page(driver, setup_script):
    """Runs setup_script on a blank page of the server's origin (before the agent loads), then
    one collection through Argus.load(...).components(); returns the components, the errors the
    page saw (window 'error' and 'unhandledrejection' events) and the Cache Storage names left."""
    _blank_page(driver)
    driver.execute_script(
        "window.__pageErrors = [];"
        "window.addEventListener('error', function (e) { window.__pageErrors.push(String(e.message)); });"
        "window.addEventListener('unhandledrejection', function (e) {"
        "  window.__pageErrors.push('unhandled: ' + String(e.reason && e.reason.message || e.reason)); });"
        + setup_script)
    assert _load_agent(driver) is None
    driver.set_script_timeout(PAGE_TIMEOUT_S)
    return driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "Argus.load({publicKey: arguments[0], endpoint: arguments[1]})"
        ".then(function (a) { return a.components(); })"
        ".then(function (c) {"
        "  setTimeout(function () {"  # the agent deletes its probe cache without waiting; give it a moment
        "    caches.keys().then(function (names) {"
        "      done({components: c, pageErrors: window.__pageErrors, caches: names}); }); }, 300); },"
        " function (e) { done({error: String(e && e.message || e)}); });",
        PUBLIC_KEY, ARGUS_URL)


def test_a_source_failing_in_its_callback_is_an_error_value(browser):
    # The audio source reads its samples in the rendering's callback, outside the collector's
    # synchronous guard: a throw there must come back as the source's error, not escape to the page
    # (and not be mistaken for a timeout). Refused high-entropy client hints keep the low-entropy ones.
    out = _collect_on_blank_page(
        browser,
        "AudioBuffer.prototype.getChannelData = function () { throw new Error('samples refused'); };"
        "if (navigator.userAgentData) {"
        "  Object.getPrototypeOf(navigator.userAgentData).getHighEntropyValues ="
        "    function () { return Promise.reject(new Error('hints refused')); };"
        "}")
    assert "error" not in out, out
    components = out["components"]
    assert components["audio"] is None
    assert "samples refused" in components["_errors"].get("audio", ""), components["_errors"]
    assert out["pageErrors"] == [], out["pageErrors"]
    if browser.execute_script("return !!navigator.userAgentData"):
        ua = components["uaData"]
        assert isinstance(ua, dict) and isinstance(ua.get("brands"), list) and ua["brands"], ua
        assert "platformVersion" not in ua, ua
        assert "uaData" not in components["_errors"], components["_errors"]
    # Every other protocol component was still collected.
    assert components["canvas"] and components["userAgent"], components


def test_the_probe_cache_is_deleted_after_collection(browser):
    out = _collect_on_blank_page(browser, "")
    assert "error" not in out, out
    readings = out["components"].get("cacheUsage")
    assert isinstance(readings, list) and len(readings) == 3, readings
    assert [n for n in out["caches"] if n.startswith("_argus_probe")] == [], out["caches"]


def _run_with_agent(driver, public_key, body):
    """On a blank page of the server's origin: loads the agent, runs `body` (JavaScript with the
    agent as `a`, returning a value or a Promise of one) and returns its result, or
    {"error": {code, status, message}} when it rejects."""
    _blank_page(driver)
    assert _load_agent(driver) is None
    driver.set_script_timeout(PAGE_TIMEOUT_S)
    return driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "Argus.load({publicKey: arguments[0], endpoint: arguments[1]}).then(function (a) {" + body + "})"
        ".then(done, function (e) { done({error: {code: e.code, status: e.status, message: e.message}}); });",
        public_key, ARGUS_URL)


def test_request_fields_of_the_wrong_type_are_refused_before_sending(browser):
    out = _run_with_agent(
        browser, PUBLIC_KEY,
        "function outcome(options) {"
        "  return a.get(options).then(function (r) { return {result: r}; },"
        "    function (e) { return {code: e.code, message: e.message}; }); }"
        "return Promise.all([outcome({linkedId: 42}), outcome({tag: ['a']}), outcome({tag: 'x'})]);")
    assert [o.get("code") for o in out] == ["invalid_options"] * 3, out
    assert "linkedId" in out[0]["message"] and "tag" in out[1]["message"], out
    assert _identify_requests(browser) == 0


def test_a_rate_limited_identification_is_retried_once_after_retry_after(browser):
    if not (ARGUS_BIN and ARGUS_DATA_DIR and ENVIRONMENT):
        pytest.skip("needs ARGUS_BIN and ARGUS_DATA_DIR to create a key with its own rate")
    # One identification a second, burst two: the third get() in a row draws a 429 with
    # Retry-After: 1, waits that second, and succeeds on its one retry.
    key = _argus_json("keys", "create", "--environment", ENVIRONMENT, "--kind", "public", "--rate", "1")["key"]
    out = _run_with_agent(
        browser, key,
        "return a.get().then(function () { return a.get(); }).then(function (second) {"
        "  var t0 = Date.now();"
        "  return a.get().then(function (third) { return {second: second, third: third, ms: Date.now() - t0}; });"
        "});")
    assert "error" not in out, out
    assert out["third"]["visitorId"] == out["second"]["visitorId"], out
    assert out["ms"] >= 900, out
    statuses = browser.execute_script(
        "return performance.getEntriesByType('resource').filter(function (e) {"
        " return e.name.indexOf('/v1/identify') >= 0; }).map(function (e) { return e.responseStatus; })")
    assert len(statuses) == 4, statuses
    if all(isinstance(s, int) and s > 0 for s in statuses):
        assert statuses == [200, 200, 429, 200], statuses
