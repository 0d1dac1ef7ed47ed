"""The authorisation matrix: every API operation and every page x every role (anonymous, customer admin
contact, plain customer contact, agent, supervisor, billing staff, admin) x an object of the caller's own
organisation and one of the other organisation's.

What it checks, for each request:
- the outcome class is the one the tables of tests/security/matrix.py give: ``ok`` (passed authorisation:
  any 2xx or 3xx but the sign-in page, or a 400/409/422 about the body), ``403``, ``404``, or ``login``
  (anonymous: 401 on the API, the sign-in page otherwise);
- a contact asking for another organisation's object gets 404 (a body naming one: the answer a missing id
  gets), whatever the route; staff see every organisation, so both organisations' objects follow their row;
- nothing leaks: a refused request must not succeed, no answer is a 5xx, and marker strings written into the
  objects never reach who must not read them (Globex's text in an answer to Acme's contacts, internal notes'
  text in any contact's answer, any object's text in an anonymous answer, Carla's chat in her colleague's).
It prints ``authorization matrix: N requests, L leaks`` and every mismatch (``pytest -s`` shows it;
``MATRIX_VERBOSE=1`` also prints every request with its status and the start of its body), then fails on any
leak or mismatch. Each request runs in a transaction rolled back afterwards, so every request meets the same
objects, whatever the requests before it changed.

The routes are read from /api/openapi.json and from Django's URL resolver: a route missing from the tables
fails the test, naming it. To extend it:
- a new API operation: add its "METHOD /path" row to ``matrix.API`` (what each role may do on an object of
  its own organisation), and its body or query to ``matrix.REQUESTS``; a new path parameter needs its object
  in ``matrix.build`` and its name in ``matrix.API_PARAM``;
- a new page: add its "METHOD route" row(s) to ``matrix.PAGES`` (one per method it answers), its form to
  ``matrix.REQUESTS``, and what its ``<int:pk>`` is to ``matrix.PAGE_PK``; a URL that is not a page goes to
  ``matrix.NOT_PAGES`` with the reason;
- a body that names an object of an organisation: add the route to ``matrix.BODY_REFS``;
- a cell that follows the code but may not be what the provider wants: add it to ``matrix.QUESTIONS``.
"""

from __future__ import annotations

import os

import time_machine
from django.urls import get_resolver

from . import matrix


def _api_operations(client) -> set[str]:
    schema = client.get("/api/openapi.json").json()
    return {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, methods in schema["paths"].items()
        for method in methods
    }


def _url_patterns() -> set[str]:
    """The project's URL patterns, the included ones (admin/, api/v1/) by their prefix."""
    return {str(p.pattern) for p in get_resolver().url_patterns}


def test_the_tables_cover_every_route_and_nothing_else(client):
    routes = matrix.routes()
    api = {r.key.split(" [")[0] for r in routes if r.door == "api"}
    operations = _api_operations(client)
    assert not operations - api, f"API operations missing from matrix.API: {sorted(operations - api)}"
    assert not api - operations, f"matrix.API rows for no operation: {sorted(api - operations)}"
    pages = {r.path for r in routes if r.door == "page"}
    patterns = _url_patterns() - set(matrix.NOT_PAGES)
    assert not patterns - pages, f"URL patterns missing from matrix.PAGES: {sorted(patterns - pages)}"
    assert not pages - patterns, f"matrix.PAGES rows for no URL pattern: {sorted(pages - patterns)}"
    # The wrong side of the house is turned away at the door: its cells can only say 403.
    gated = [(r.key, role) for r in routes for role in matrix.COLUMNS if r.door_gated(role)]
    assert [(key, role) for key, role in gated if _row(routes, key)[role] != matrix.FORBIDDEN] == []
    keys = {r.key for r in routes}
    for name in ("REQUESTS", "BODY_REFS", "MULTIPART", "QUESTIONS"):
        assert set(getattr(matrix, name)) <= keys, f"matrix.{name} names a route no table has"


def _row(routes, key: str) -> dict[str, str]:
    return next(r for r in routes if r.key == key).own


def test_every_route_for_every_role_on_own_and_foreign_objects(world):
    with time_machine.travel(matrix.NOW, tick=False):
        result = matrix.run(world, matrix.routes())
    if os.environ.get("MATRIX_VERBOSE"):
        print("\n".join(["", *result.answers]))
    print("\n" + result.report())
    assert result.leaks == [], f"{len(result.leaks)} leaks (printed above)"
    assert result.mismatches == [], f"{len(result.mismatches)} mismatches (printed above)"


# ---------------------------------------------------------------------------------------- back-dating


def _is_instant(prop: dict) -> bool:
    return prop.get("format") == "date-time" or any(
        p.get("format") == "date-time" for p in prop.get("anyOf", [])
    )


def _instant_fields(client) -> dict[str, set[str]]:
    """For each API operation, the date-time fields of its JSON body, from /api/openapi.json."""
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    found: dict[str, set[str]] = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
                fields = {name for name, prop in properties.items() if _is_instant(prop)}
                if fields:
                    found[f"{method.upper()} {path.removeprefix('/api/v1')}"] = fields
    return found


def test_every_instant_a_route_takes_is_judged(client):
    judged = {key: set(fields) for key, fields in matrix.INSTANTS.items()}
    assert _instant_fields(client) == judged


def test_no_caller_but_an_import_dates_an_sla_event_in_the_past(world):
    """Every instant of an SLA event, sent in the past by every role that is not an import (tokens without
    the import permission): a refusal of the act (403, 404) or a 422 naming the field; never done."""
    from django.db import transaction

    from guichet.tickets.selectors import fingerprints

    probes = [
        (route, name)
        for route in matrix.routes()
        if route.door == "api"
        for name, verdict in matrix.INSTANTS.get(route.key, {}).items()
        if verdict == matrix.IMPORTS_ONLY
    ]
    assert len(probes) == 5
    roles = ("customer_admin", "customer_contact", "agent", "supervisor", "billing")
    wrong, named = [], set()
    with time_machine.travel(matrix.NOW, tick=False):
        objs = matrix.build(world)
        for caller in matrix.callers(world):
            if caller.role not in roles:
                continue
            for route, name in probes:
                with transaction.atomic():
                    data = {**matrix.REQUESTS[route.key](objs.acme, caller.user, objs), name: matrix.PAST}
                    response = caller.send(route, matrix.url(route, objs.acme, objs.acme), data)
                    transaction.set_rollback(True)
                fingerprints.clear()
                fields = (
                    {e["field"] for e in response.json()["detail"]} if response.status_code == 422 else set()
                )
                if response.status_code == 422 and name in fields:
                    named.add(route.key)
                elif response.status_code not in (403, 404):
                    wrong.append(f"{route.key} {name} as {caller.role}: {response.status_code}")
    assert wrong == []
    assert named == {route.key for route, _ in probes}  # each one reached the check, as someone
