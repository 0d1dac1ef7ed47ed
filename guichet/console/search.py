"""The console's search: every ticket the agent may see that matches the words typed in the top bar, best
first, with the queue's filters and a highlighted excerpt (the rules are ``tickets.search``'s)."""

from __future__ import annotations

from django.shortcuts import render

from guichet.customers.access import form_id, staff_only
from guichet.customers.models import Organisation, Team
from guichet.tickets.models import Category, Priority, Status, Ticket
from guichet.tickets.search import search_page

from .tickets import _filters

PAGE = 50


@staff_only
def search_view(request):
    text = request.GET.get("q", "")[:500]
    filters = _filters(request.GET)
    if not request.GET.getlist("status"):
        filters["statuses"] = None  # closed tickets are searched too unless a status is chosen
    offset = min(form_id(request.GET.get("offset")) or 0, 1_000_000_000)
    found = search_page(request.user, text, offset=offset, limit=PAGE, **filters)
    rows = Ticket.objects.filter(pk__in=found.ids).select_related("organisation", "team", "assignee")
    by_id = {t.pk: t for t in rows}
    query = request.GET.copy()
    query.pop("offset", None)
    return render(
        request,
        "console/search.html",
        {
            "q": text,
            "results": [(by_id[pk], found.excerpts.get(pk, "")) for pk in found.ids],
            "searched": bool(found.query),
            "total": found.total,
            "more": found.more,
            "offset": offset,
            "next_offset": offset + PAGE if offset + PAGE < found.total else None,
            "previous_offset": max(offset - PAGE, 0),
            "query": query.urlencode(),
            "f": filters,
            "chosen_statuses": request.GET.getlist("status"),
            "teams": Team.objects.order_by("name"),
            "organisations": Organisation.objects.order_by("name"),
            "priorities": Priority.choices,
            "categories": Category.choices,
            "statuses": Status.choices,
        },
    )
