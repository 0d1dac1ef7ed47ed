"""The webhooks outside services call. Thin: check, hand over to the channel's module, answer."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import whatsapp


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":  # Meta's handshake when the webhook is set up
        challenge = whatsapp.verify_handshake(
            request.GET.get("hub.mode"), request.GET.get("hub.verify_token"), request.GET.get("hub.challenge")
        )
        if challenge is None:
            return HttpResponseForbidden("hub.verify_token does not match WHATSAPP_VERIFY_TOKEN")
        return HttpResponse(challenge, content_type="text/plain")
    try:
        whatsapp.receive_webhook(request.body, request.headers.get("X-Hub-Signature-256"))
    except whatsapp.Forged as exc:
        return HttpResponseForbidden(str(exc))
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError, AttributeError) as exc:
        return HttpResponseBadRequest(f"malformed payload: {exc}")
    return HttpResponse("ok", content_type="text/plain")  # a database error answers 500: Meta retries
