from collections import defaultdict

from openapi_spec_validator import validate

from tests.api.conftest import OPENAPI, PREFIX, openapi_path

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
PUBLIC_OPERATIONS = {("/join", "post"), ("/openapi.json", "get")}


def api_routes(app) -> dict[str, set[str]]:
    routes = defaultdict(set)
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            routes[openapi_path(rule.rule)] |= {m.lower() for m in rule.methods} & HTTP_METHODS
    return dict(routes)


def documented_operations() -> dict[str, set[str]]:
    return {path: set(item) & HTTP_METHODS for path, item in OPENAPI["paths"].items()}


def test_openapi_document_is_valid_openapi_3_1():
    assert OPENAPI["openapi"].startswith("3.1")
    validate(OPENAPI)


def test_openapi_document_is_served_as_written(api):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == OPENAPI


def test_every_api_route_is_documented_and_nothing_else(app):
    assert api_routes(app) == documented_operations()


def test_only_joining_and_the_document_itself_are_public():
    scheme = OPENAPI["components"]["securitySchemes"]["participantToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert OPENAPI["security"] == [{"participantToken": []}]
    public = {
        (path, method)
        for path, operations in documented_operations().items()
        for method in operations
        if OPENAPI["paths"][path][method].get("security") == []
    }
    assert public == PUBLIC_OPERATIONS


def test_every_protected_operation_documents_the_401():
    for path, operations in documented_operations().items():
        for method in operations:
            if (path, method) not in PUBLIC_OPERATIONS:
                assert "401" in OPENAPI["paths"][path][method]["responses"], (path, method)


def test_unknown_api_address_answers_json(client):
    response = client.get(f"{PREFIX}/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_answers_json(client, first_item):
    response = client.post(f"{PREFIX}/items/{first_item.id}/results")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
