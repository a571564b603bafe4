"""Every event Argus returns validates against the `Event` schema of Fingerprint's
OpenAPI document (tests/fixtures/fingerprint-server-api-v4.yaml, JSON Schema 2020-12
as OpenAPI 3.1 uses it). Runs against the server started by scripts/test."""

import json
import os
import pathlib
import urllib.request

import jsonschema
import pytest
import yaml

from test_fingerprint_sdk import ARGUS_URL, argus, env, identify  # noqa: F401  (env is a fixture)

SPEC = yaml.safe_load((pathlib.Path(__file__).parent.parent / "fixtures" / "fingerprint-server-api-v4.yaml").read_text())

pytestmark = pytest.mark.skipif(not ARGUS_URL, reason="needs a running server")


def validator():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "#/components/schemas/Event",
              "components": SPEC["components"]}
    return jsonschema.Draft202012Validator(schema)


def get(path, secret):
    req = urllib.request.Request(ARGUS_URL + path, headers={"Authorization": "Bearer " + secret})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def test_events_validate_against_the_fingerprint_event_schema(env):  # noqa: F811
    v = validator()
    ids = [identify(env["public"], linked_id="schema")["requestId"] for _ in range(3)]
    events = [get("/v4/events/" + i, env["secret"]) for i in ids]
    events += get("/v4/events?limit=10", env["secret"])["events"]
    assert len(events) == 6
    for event in events:
        errors = sorted(v.iter_errors(event), key=str)
        assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_check_catches_a_wrong_type():
    bad = {"event_id": "1708102555327.NLOjmg", "timestamp": "1708102555327"}
    assert list(validator().iter_errors(bad))
