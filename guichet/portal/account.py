"""The extranet's account pages: the organisation's contacts (kept current by its admin contact) and the
activity log of every management act, with the back office's next-business-day target for each request."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from guichet.audit.explain import told
from guichet.audit.models import AuditEvent, Door
from guichet.customers import services
from guichet.customers.access import customer_only, error_lines
from guichet.customers.models import BackOfficeRequest, Contact, ContactRole, User

DOOR = Door.WEB

# A refusal names the field by the label the page shows it under ("Email: …"), never by its code.
CONTACT_LABELS = {
    "email": gettext_lazy("Email"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "roles": gettext_lazy("Roles"),
    "phone": gettext_lazy("Phone"),
    "language": gettext_lazy("Language"),
    "is_active": gettext_lazy("Active"),
}


@customer_only
def contacts(request):
    me = request.user.contact
    errors: list[str] = []
    status = 200
    values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    if request.method == "POST":
        try:
            services.contact_create(
                actor=request.user,
                door=DOOR,
                organisation=me.organisation,
                email=values.get("email", ""),
                first_name=values.get("first_name", ""),
                last_name=values.get("last_name", ""),
                roles=request.POST.getlist("roles") or ["technical"],
                phone=values.get("phone", ""),
                language=values.get("language", ""),
                time_zone=request.user.time_zone,
            )
        except ValidationError as exc:
            errors, status = error_lines(exc, CONTACT_LABELS), 400
        else:
            messages.success(
                request,
                gettext(
                    "The contact is added; the back office takes it into account by the next business day."
                ),
            )
            return redirect("portal-contacts")
    rows = (
        Contact.objects.filter(organisation=me.organisation)
        .select_related("user")
        .order_by("-is_active", "user__email")
    )
    return render(
        request,
        "portal/contacts.html",
        {
            "contacts": rows,
            "admin": me.has_role(ContactRole.ADMIN),
            "roles": ContactRole.choices,
            "languages": User.Language.choices,
            "errors": errors,
            "values": values,
        },
        status=status,
    )


@customer_only
@require_POST
def contact_change(request, pk: int):
    me = request.user.contact
    contact = Contact.objects.filter(pk=pk, organisation=me.organisation).first()
    if contact is None:
        raise Http404("No such contact.")
    try:
        services.contact_update(
            actor=request.user,
            door=DOOR,
            contact=contact,
            roles=request.POST.getlist("roles"),
            phone=request.POST.get("phone", contact.phone),
            is_active=request.POST.get("is_active") == "1",
        )
    except ValidationError as exc:
        for line in error_lines(exc, CONTACT_LABELS):
            messages.error(request, line)
    except Forbidden as exc:
        raise Forbidden(str(exc)) from None
    else:
        messages.success(
            request, gettext("Saved; the back office takes it into account by the next business day.")
        )
    return redirect("portal-contacts")


@customer_only
def activity(request):
    """Every management act of the organisation (newest first) as sentences, and the back office's requests
    with their next-business-day target."""
    organisation = request.user.contact.organisation
    events = told(
        list(
            AuditEvent.objects.filter(organisation_id=organisation.pk, internal=False)
            .select_related("actor")
            .order_by("-at", "-pk")[:200]
        )
    )
    requests = BackOfficeRequest.objects.filter(organisation=organisation).select_related("requested_by")[
        :100
    ]
    return render(
        request, "portal/activity.html", {"events": events, "requests": requests, "now": timezone.now()}
    )
