"""The REST API: /api/v1, described at /api/openapi.json. Routers are thin: parse, call one service or
selector, shape the answer. Errors from services become 4xx answers that name the field."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from guichet.tickets.errors import Conflict, NotFound, QuotaExceeded

from .auth import TokenAuth, WebSession

api = NinjaAPI(
    title="Guichet API",
    version="1",
    description="Tickets on SLA clocks, per organisation. Authenticate with `Authorization: Bearer <token>` "
    "(`guichet createtoken USERNAME`).",
    auth=[TokenAuth(), WebSession()],
    urls_namespace="api-v1",
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
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "payload", "query", "path")]
        errors.append({"field": ".".join(loc) or None, "message": e.get("msg", "invalid")})
    return _error(request, 422, errors)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, 401, "Authentication required: send 'Authorization: Bearer <token>'.")


def openapi_json(request):
    return JsonResponse(api.get_openapi_schema(path_prefix="/api/v1"), json_dumps_params={"indent": None})


def _register():
    from .availability import router as availability_router
    from .billing import router as billing_router
    from .calls import router as calls_router
    from .contracts import router as contracts_router
    from .customers import router as customers_router
    from .pages import router as pages_router
    from .plans import router as plans_router
    from .tickets import router as tickets_router

    api.add_router("/", customers_router)
    api.add_router("/plans", plans_router)
    api.add_router("/tickets", tickets_router)
    api.add_router("/calls", calls_router)
    api.add_router("/pages", pages_router)
    api.add_router("/", contracts_router)
    api.add_router("/", availability_router)
    api.add_router("/", billing_router)


_register()
