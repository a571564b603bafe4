"""Webhooks received by a real local HTTP receiver and checked with Fingerprint's
official Python SDK (PyPI `fingerprint-server-sdk`): the signature verifies with
`WebhookValidation.is_valid_webhook_signature` and the body parses as the SDK's
`Event` model.

Runs against the server scripts/test starts (with ARGUS_WEBHOOK_ALLOW_PRIVATE=1,
so that it may post to this loopback receiver): ARGUS_URL, ARGUS_BIN, ARGUS_DATA_DIR.
"""

import http.server
import json
import os
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest
from fingerprint_server_sdk import Configuration, Event, FingerprintApi, WebhookValidation

ARGUS_URL = os.environ.get("ARGUS_URL", "").rstrip("/")
ARGUS_BIN = os.environ.get("ARGUS_BIN", "")
ARGUS_DATA_DIR = os.environ.get("ARGUS_DATA_DIR", "")

pytestmark = pytest.mark.skipif(
    not (ARGUS_URL and ARGUS_BIN and ARGUS_DATA_DIR), reason="needs ARGUS_URL, ARGUS_BIN and ARGUS_DATA_DIR"
)


def argus(*args):
    env = dict(os.environ, ARGUS_WEBHOOK_ALLOW_PRIVATE="1")
    out = subprocess.run([ARGUS_BIN, *args, "--json", "--data-dir", ARGUS_DATA_DIR], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout)


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that answers 500 to the first `failures` posts, then 200."""

    def __init__(self, failures=0):
        self.requests = []
        self.failures = failures
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.requests.append((dict(self.headers.items()), body))
                    fail = outer.failures > 0
                    outer.failures -= 1
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, predicate, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            with self.lock:
                if predicate(self.requests):
                    return list(self.requests)
            time.sleep(0.1)
        with self.lock:
            return list(self.requests)

    def close(self):
        self.server.shutdown()


@pytest.fixture
def env():
    name = "wh-" + uuid.uuid4().hex[:10]
    argus("environments", "create", name)
    public = argus("keys", "create", "--environment", name, "--kind", "public")["key"]
    secret = argus("keys", "create", "--environment", name, "--kind", "secret")["key"]
    return {"name": name, "public": public, "secret": secret}


def identify(public_key):
    body = {"v": 1, "publicKey": public_key, "token": None, "url": "https://shop.example/",
            "components": {"userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/147.0.0.0", "platform": "Linux x86_64"}}
    req = urllib.request.Request(ARGUS_URL + "/v1/identify", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "text/plain;charset=UTF-8"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def test_webhooks_verify_with_the_official_sdk_and_parse_as_its_event(env):
    receiver = Receiver(failures=1)
    try:
        created = argus("webhooks", "create", "--environment", env["name"], "--url", receiver.url)
        assert sorted(created) == ["id", "secret"]
        request_id = identify(env["public"])["requestId"]
        # The first answer is a 500: the delivery is retried (first retry within 2 s).
        got = receiver.wait(lambda rs: len(rs) >= 2)
        assert len(got) >= 2, got
        headers, body = got[-1]
        signature = headers["FPJS-Event-Signature"]
        assert signature.startswith("v1=")
        assert WebhookValidation.is_valid_webhook_signature(signature, body, created["secret"])
        assert not WebhookValidation.is_valid_webhook_signature(signature, body, created["secret"] + "x")
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Argus-Event-Id"] == request_id
        event = Event.from_json(body.decode())
        assert event.event_id == request_id
        assert event.identification.visitor_id
        # The same bytes the Server API serves.
        api = FingerprintApi(Configuration(api_key=env["secret"], host=ARGUS_URL + "/v4"))
        served = api.get_event(request_id)
        assert served.to_dict() == event.to_dict()
        assert [h["X-Argus-Delivery-Id"] for h, _ in got[:2]] == [headers["X-Argus-Delivery-Id"]] * 2
    finally:
        receiver.close()
