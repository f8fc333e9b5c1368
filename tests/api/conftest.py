"""API fixtures. The ``api`` client holds every answer to the contract in openapi.json.

Each call is matched to its rule; the status must be one the document lists for that
operation, and the JSON must validate against the schema it names. A request that
succeeds must also match the documented request body.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.participation.models import Comment, Participant, Vote
from tests.conftest import DEMO_JSON, count_queries, join_as, row_count  # noqa: F401

PREFIX = "/api/v1"
DOCUMENT_URI = "urn:cocreate:openapi"


def load_openapi() -> dict:
    return json.loads(resources.files("cocreate.api").joinpath("openapi.json").read_text())


OPENAPI = load_openapi()
REGISTRY = Registry().with_resource(
    DOCUMENT_URI, Resource.from_contents(OPENAPI, default_specification=DRAFT202012)
)


def openapi_path(rule: str) -> str:
    """``/api/v1/items/<int:item_id>/vote`` → ``/items/{item_id}/vote``."""
    path = rule.removeprefix(PREFIX)
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        name = path[start + 1 : end].split(":")[-1]
        path = f"{path[:start]}{{{name}}}{path[end + 1 :]}"
    return path


def resolve(node: dict) -> dict:
    """Follow a local ``$ref`` (such as ``#/components/responses/NotFound``)."""
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are used, not {ref}"
        node = OPENAPI
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def assert_matches_schema(instance, schema: dict, what: str) -> None:
    if "$ref" in schema:
        schema = {"$ref": DOCUMENT_URI + schema["$ref"]}
    validator = OAS31Validator(schema, registry=REGISTRY)
    errors = [error.message for error in validator.iter_errors(instance)]
    assert not errors, f"{what} does not match its schema: {errors}"


class ContractClient:
    """The test client, for ``/api/v1`` calls, checked against the OpenAPI document."""

    def __init__(self, app, client):
        self.app = app
        self.client = client

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(PREFIX + path, method=method, headers=headers, **kwargs)
        self.check(method, PREFIX + path, kwargs.get("json"), response)
        return response

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.call("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)

    def check(self, method: str, path: str, sent, response) -> None:
        adapter = self.app.url_map.bind("cocreate.test")
        rule, _ = adapter.match(path, method=method, return_rule=True)
        operation = OPENAPI["paths"][openapi_path(rule.rule)][method.lower()]
        what = f"{method} {path} → {response.status_code}"
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{what} is not documented: {response.get_data(True)}"
        content = resolve(documented).get("content")
        if content is None:
            assert response.get_data() == b"", f"{what} should have no body"
        else:
            # Files (exports) document their media types; JSON answers validate as JSON.
            assert response.mimetype in content, f"{what} answers {response.mimetype}"
            if response.mimetype == "application/json":
                schema = content["application/json"]["schema"]
                assert_matches_schema(response.get_json(), schema, what)
        if response.status_code < 300 and "requestBody" in operation:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert_matches_schema(sent, schema, f"the body of {method} {path}")


@pytest.fixture
def api(app, client):
    return ContractClient(app, client)


@pytest.fixture
def member(demo):
    """A participant of the demo consultation, in the Industry group, from Europe."""
    return join_as(demo, "Industry", "Europe", name="Ana")


@pytest.fixture
def other_consultation(app):
    """A second open consultation, imported from the same draft."""
    return import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))


@pytest.fixture
def outsider(other_consultation):
    """A participant of the other consultation."""
    return join_as(other_consultation, "Industry")


def rows() -> dict[str, int]:
    """Row counts of what participants create, to show a refused call changed nothing."""
    return {model.__name__: row_count(model) for model in (Participant, Vote, Comment)}


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def error_message(response) -> str:
    return response.get_json()["error"]["message"]
