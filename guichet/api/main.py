"""The REST API: /api/v1, described at /api/openapi.json. Routers are thin: parse, call one service or
selector, shape the answer. Errors from services become 4xx answers that name the field."""

from __future__ import annotations

import contextlib
import functools
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from guichet.errors import Conflict, NotFound, QuotaExceeded
from guichet.ops import errors

from .auth import TokenAuth, WebSession
from .availability import router as availability_router
from .billing import router as billing_router
from .calls import router as calls_router
from .contracts import router as contracts_router
from .customers import router as customers_router
from .pages import router as pages_router
from .plans import router as plans_router
from .tickets import router as tickets_router

# Every operation may answer with one of these; their body is an `Error` (see the handlers below).
ERRORS = {
    401: "No valid bearer token or session.",
    403: "The caller may not do this.",
    404: "Nothing of that id the caller may see.",
    422: "Invalid input; `detail` lists each field and what is wrong with it.",
}
UNPARSABLE = {400: "The body is not what the content type says (JSON that does not parse, …)."}
NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."
CONFLICT = {409: "The `version` sent is stale; `current_version` is the ticket's version now."}
ERROR_SCHEMAS = {
    "FieldError": {
        "type": "object",
        "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}},
        "required": ["field", "message"],
    },
    "Error": {
        "type": "object",
        "properties": {
            "detail": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
                ]
            },
            "code": {"type": "string"},
            "current_version": {"type": "integer"},
        },
        "required": ["detail"],
    },
}


def _document_errors(schema: dict) -> dict:
    """Add the error answers to every operation of the OpenAPI description (ninja documents only the
    successful one): 401, 403, 404 and 422 everywhere, 400 where there is a body, 409 where the body carries
    a ticket `version`."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(ERROR_SCHEMAS)
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            codes = dict(ERRORS)
            if "requestBody" in operation:
                codes.update(UNPARSABLE)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                if "version" in components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}):
                    codes.update(CONFLICT)
            responses = operation.setdefault("responses", {})
            for code, description in codes.items():
                responses.setdefault(code, {"description": description, **error})
    return schema


class NulRefusingParser(Parser):
    """Query strings, form fields and file names with a NUL character are refused, naming the field (see
    `refuse_nul`)."""

    def parse_querydict(self, data, list_fields, request):
        bad = [
            name
            for name, values in data.lists()
            if any(NUL in (v if isinstance(v, str) else getattr(v, "name", "") or "") for v in values)
        ]
        if bad:
            where = "query" if data is request.GET else "form"
            raise NinjaValidationError([{"loc": (where, name), "msg": NUL_MESSAGE} for name in bad])
        return super().parse_querydict(data, list_fields, request)


class GuichetAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        return _document_errors(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


api = GuichetAPI(
    title="Guichet API",
    version="1",
    description="Tickets on SLA clocks, per organisation. Authenticate with `Authorization: Bearer <token>` "
    "(`guichet createtoken USERNAME`).",
    auth=[TokenAuth(), WebSession()],
    urls_namespace="api-v1",
    parser=NulRefusingParser(),
    # Swagger UI from ninja's own static files ("ninja" is in INSTALLED_APPS; without it ninja loads them
    # from a CDN, which the Content-Security-Policy blocks). No validator badge: it is an image from
    # validator.swagger.io, which the policy blocks too (and which would tell a third party of our schema).
    docs=Swagger(settings={"validatorUrl": None}),
)


def _error(request, status: int, detail, **extra):
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(NotFound)
def not_found(request, exc):
    return _error(request, 404, str(exc))


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, str(exc) or "You may not do this.")


@api.exception_handler(Conflict)
def conflict(request, exc):
    return _error(request, 409, str(exc), current_version=exc.current_version)


@api.exception_handler(QuotaExceeded)
def quota(request, exc):
    return _error(request, 403, str(exc), code="quota_exceeded")


@api.exception_handler(ValidationError)
def invalid(request, exc):
    if hasattr(exc, "error_dict"):
        errors = [{"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs]
    else:
        errors = [{"field": None, "message": m} for m in exc.messages]
    return _error(request, 422, errors)


@api.exception_handler(NinjaValidationError)
def invalid_input(request, exc):
    errors = []
    for e in exc.errors:
        # ninja's location starts with where the value came from, then a body's parameter (("body", "payload",
        # "subject")): only those go, so a field that is itself called "body" keeps its name.
        loc = list(e.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
            loc = loc[1:]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        errors.append({"field": ".".join(map(str, loc)) or None, "message": e.get("msg", "invalid")})
    return _error(request, 422, errors)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, 401, "Authentication required: send 'Authorization: Bearer <token>'.")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    # 503 with Retry-After, as the rest of the site (guichet.ops); also with DEBUG on, where django-ninja's
    # own handler would answer a 500 with the traceback.
    return errors.database_unavailable(request, exc)


def _nul_fields(data, path=()):
    """The dotted paths of the strings holding a NUL character in parsed JSON."""
    if isinstance(data, str):
        if NUL in data:
            yield ".".join(map(str, path)) or None
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _nul_fields(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _nul_fields(value, (*path, i))


def refuse_nul(run):
    """No text with a NUL character gets in: PostgreSQL cannot store one (a 500), SQLite would keep it. Path
    parameters and JSON bodies are checked here, before ninja parses them; query strings and forms by
    `NulRefusingParser`. Every operation answers 422 naming the field."""

    @functools.wraps(run)
    def checked(request, *args, **kwargs):
        fields = [name for name, value in kwargs.items() if isinstance(value, str) and NUL in value]
        if request.content_type == "application/json" and b"\\u0000" in request.body:
            with contextlib.suppress(ValueError):  # \u0000: how JSON writes a NUL; unparsable: ninja's 400
                fields += _nul_fields(json.loads(request.body))
        if fields:
            return _error(request, 422, [{"field": f, "message": NUL_MESSAGE} for f in dict.fromkeys(fields)])
        return run(request, *args, **kwargs)

    return checked


api.add_decorator(refuse_nul, mode="view")


@functools.cache
def _openapi_bytes() -> bytes:
    """The schema, built once per process: it depends on the code only (ninja builds it anew on each call)."""
    return json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), cls=DjangoJSONEncoder).encode()


def openapi_json(request):
    return HttpResponse(_openapi_bytes(), content_type="application/json")


def _register():

    api.add_router("/", customers_router)
    api.add_router("/plans", plans_router)
    api.add_router("/tickets", tickets_router)
    api.add_router("/calls", calls_router)
    api.add_router("/pages", pages_router)
    api.add_router("/", contracts_router)
    api.add_router("/", availability_router)
    api.add_router("/", billing_router)


_register()
