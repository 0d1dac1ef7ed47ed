"""On call in the console: each rota with who is on call now and next, and the pages (open, acknowledged,
false alarms) with the acknowledge and false-alarm actions (``channels.oncall``, which checks who may)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guichet.audit.models import Door
from guichet.channels import oncall
from guichet.channels.models import Page
from guichet.customers.access import staff_only
from guichet.errors import ValidationError

from .fields import say_errors

RECENT = timedelta(days=7)
LABELS = {"page": gettext_lazy("Page")}


@staff_only
def board(request):
    now = timezone.now()
    return render(
        request,
        "console/oncall.html",
        {"rotas": oncall.rota_board(now), "pages": oncall.pages_board(now - RECENT), "now": now},
    )


def _page(pk: int) -> Page:
    found = Page.objects.select_related("ticket", "rota__team").filter(pk=pk).first()
    if found is None:
        raise Http404("No such page.")
    return found


@staff_only
@require_POST
def acknowledge(request, pk: int):
    try:
        oncall.acknowledge(page=_page(pk), user=request.user, door=Door.WEB)
    except ValidationError as exc:
        say_errors(request, exc, LABELS)
    else:
        messages.success(request, _("Emergency taken: nobody else is paged."))
    return redirect("console-oncall")


@staff_only
@require_POST
def false_alarm(request, pk: int):
    try:
        oncall.mark_false_alarm(page=_page(pk), user=request.user, door=Door.WEB)
    except ValidationError as exc:
        say_errors(request, exc, LABELS)
    else:
        messages.success(request, _("Marked as a false alarm: the paging stopped."))
    return redirect("console-oncall")
