"""Interop with Fingerprint's official Python server SDK (PyPI `fingerprint-server-sdk`).

Runs against a running Argus server (started by scripts/test), with the CLI at
hand to manage keys: ARGUS_URL, ARGUS_BIN, ARGUS_DATA_DIR. Each test makes its
own environment.
"""

import base64
import json
import os
import subprocess
import urllib.request
import uuid

import pytest
from fingerprint_server_sdk import (
    Configuration,
    DecryptionAlgorithm,
    DecryptionKey,
    FingerprintApi,
    ForbiddenException,
    NotFoundException,
    UnsealAggregateError,
    WebhookValidation,
    unseal_event_response,
)

ARGUS_URL = os.environ.get("ARGUS_URL", "").rstrip("/")
ARGUS_BIN = os.environ.get("ARGUS_BIN", "")
ARGUS_DATA_DIR = os.environ.get("ARGUS_DATA_DIR", "")

pytestmark = pytest.mark.skipif(
    not (ARGUS_URL and ARGUS_BIN and ARGUS_DATA_DIR), reason="needs ARGUS_URL, ARGUS_BIN and ARGUS_DATA_DIR"
)

COMPONENTS = {
    "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36",
    "platform": "Win32", "vendor": "Google Inc.", "languages": ["en-US", "en"], "timezone": "Europe/Berlin",
    "timezoneOffset": -60, "screen": {"width": 1920, "height": 1080, "colorDepth": 24, "pixelRatio": 1},
    "hardwareConcurrency": 8, "deviceMemory": 8, "maxTouchPoints": 0, "canvas": "a1b2c3d4e5f60718",
    "webglVendor": "Google Inc. (NVIDIA)", "webglRenderer": "ANGLE (NVIDIA GeForce RTX 3060)", "audio": 124.04347527516074,
    "fonts": ["Arial", "Calibri"], "storageQuota": 296630877388, "cookiesEnabled": True, "webdriver": False,
}


def argus(*args):
    out = subprocess.run([ARGUS_BIN, *args, "--json", "--data-dir", ARGUS_DATA_DIR], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture
def env():
    name = "sdk-" + uuid.uuid4().hex[:10]
    argus("environments", "create", name)
    public = argus("keys", "create", "--environment", name, "--kind", "public")["key"]
    secret = argus("keys", "create", "--environment", name, "--kind", "secret")["key"]
    return {"name": name, "public": public, "secret": secret}


def identify(public_key, linked_id=None):
    body = {"v": 1, "publicKey": public_key, "token": None, "url": "https://shop.example/", "components": COMPONENTS}
    if linked_id:
        body["linkedId"] = linked_id
    req = urllib.request.Request(ARGUS_URL + "/v1/identify", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "text/plain;charset=UTF-8"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def key_of(shown):
    return DecryptionKey(base64.b64decode(shown["key"]), DecryptionAlgorithm["Aes256Gcm"])


def sealed_event(env, keys):
    # Key changes made by the CLI reach the running server within a second.
    import time
    time.sleep(1.1)
    result = identify(env["public"], linked_id="sdk-test")
    assert "sealedResult" in result, result
    return result, base64.b64decode(result["sealedResult"])


def test_the_official_sdk_unseals_argus_results_across_a_rotation(env):
    first = argus("encryption-keys", "activate", "--environment", env["name"])
    result, sealed = sealed_event(env, [first])
    event = unseal_event_response(sealed, [key_of(first)])
    assert event.event_id == result["requestId"]
    assert event.identification.visitor_id == result["visitorId"]
    assert event.linked_id == "sdk-test"

    shown = argus("encryption-keys", "rotate", "--environment", env["name"])
    assert shown["status"] == "pending"
    second = argus("encryption-keys", "rotate", "--confirm", "--environment", env["name"])
    assert second["id"] == shown["id"] and second["status"] == "active"
    result, sealed = sealed_event(env, [second])
    with pytest.raises(UnsealAggregateError):
        unseal_event_response(sealed, [key_of(first)])
    event = unseal_event_response(sealed, [key_of(first), key_of(second)])
    assert event.event_id == result["requestId"]


def test_a_tampered_sealed_result_does_not_unseal(env):
    first = argus("encryption-keys", "activate", "--environment", env["name"])
    _, sealed = sealed_event(env, [first])
    for i in (0, 5, 20, len(sealed) // 2, len(sealed) - 1):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        with pytest.raises(Exception):
            unseal_event_response(bytes(tampered), [key_of(first)])


def test_get_event_parses_with_the_sdk_models_and_errors_map(env):
    result = identify(env["public"], linked_id="sdk-get")
    api = FingerprintApi(Configuration(api_key=env["secret"], host=ARGUS_URL + "/v4"))
    event = api.get_event(result["requestId"])
    assert event.event_id == result["requestId"]
    assert event.identification.visitor_id == result["visitorId"]
    assert event.linked_id == "sdk-get"
    assert isinstance(event.timestamp, int)
    with pytest.raises(NotFoundException) as missing:
        api.get_event("1708102555327.NLOjmg")
    assert "event_not_found" in str(missing.value.body)
    bad = FingerprintApi(Configuration(api_key="sk_not_a_key", host=ARGUS_URL + "/v4"))
    with pytest.raises(ForbiddenException):
        bad.get_event(result["requestId"])


def test_webhook_signature_vector():
    # spec §4: secret "secret", body "data".
    header = "v1=1b2c16b75bd2a870c114153ccda5bcfca63314bc722fa160d690de133ccbb9db"
    assert WebhookValidation.is_valid_webhook_signature(header, b"data", "secret")


def test_search_update_and_delete_through_the_sdk(env):
    from fingerprint_server_sdk import EventUpdate

    ids = [identify(env["public"], linked_id="sdk-search")["requestId"] for _ in range(14)]
    api = FingerprintApi(Configuration(api_key=env["secret"], host=ARGUS_URL + "/v4"))
    seen, key, pages = [], None, 0
    while True:
        page = api.search_events(limit=4, linked_id="sdk-search", pagination_key=key) if key else \
            api.search_events(limit=4, linked_id="sdk-search")
        seen += [e.event_id for e in page.events]
        pages += 1
        key = page.pagination_key
        if not key:
            break
    assert pages == 4
    assert seen == list(reversed(ids))
    # More filters: visitor, order, time window, suspect.
    first = api.get_event(ids[0])
    by_visitor = api.search_events(visitor_id=first.identification.visitor_id, linked_id="sdk-search", reverse=True, limit=100)
    assert by_visitor.events[0].event_id == ids[0]
    assert all(e.identification.visitor_id == first.identification.visitor_id for e in by_visitor.events)
    window = api.search_events(linked_id="sdk-search", start=first.timestamp, end=first.timestamp, limit=100)
    assert [e.event_id for e in window.events if e.timestamp == first.timestamp][:1] == [ids[0]] or ids[0] in [e.event_id for e in window.events]
    assert api.search_events(linked_id="sdk-search", suspect=True).events == []

    api.update_event(ids[0], EventUpdate(linked_id="sdk-updated", tags={"a": 1}, suspect=True))
    event = api.get_event(ids[0])
    assert event.linked_id == "sdk-updated" and event.suspect is True and event.tags == {"a": 1}
    assert [e.event_id for e in api.search_events(linked_id="sdk-updated").events] == [ids[0]]

    visitor = event.identification.visitor_id
    api.delete_visitor_data(visitor)
    with pytest.raises(NotFoundException):
        api.get_event(ids[0])
    with pytest.raises(NotFoundException) as again:
        api.delete_visitor_data(visitor)
    assert "visitor_not_found" in str(again.value.body)
