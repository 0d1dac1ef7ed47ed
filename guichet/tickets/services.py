"""Commands on tickets. Each validates, runs in one transaction, moves the SLA clocks and writes the audit
trail; nothing here knows which door (API, portal, mail) called it except through ``door``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import ngettext

from guichet import provider
from guichet.audit.models import Door
from guichet.audit.services import record
from guichet.customers.models import BackOfficeRequest, Organisation, Team, User
from guichet.customers.permissions import is_admin, is_customer
from guichet.customers.selectors import (
    MONEY_ROLES,
    acting_contact,
    contact_holds,
    may_act,
    may_date_events,
)
from guichet.customers.services import backoffice_open
from guichet.errors import Conflict, PermissionDenied, QuotaExceeded, ValidationError
from guichet.plans.models import Clock, Priority, QuotaPolicy, SlaPlan
from guichet.plans.selectors import plan_for_organisation

from . import events, notifications, search, sla
from .attachments import check as check_upload
from .attachments import clean_filename
from .models import (
    OPEN_STATUSES,
    PRIORITY_ORDER,
    Attachment,
    Category,
    Channel,
    MessageKind,
    Quote,
    QuoteStatus,
    SlaClock,
    Status,
    Ticket,
    TicketCounter,
    TicketMessage,
)

STAFF_STATUSES = {s.value for s in Status}
TEAM_FOR_CATEGORY: dict[str, Team.Kind] = {
    Category.INCIDENT: Team.Kind.NOC,
    Category.BILLING: Team.Kind.BILLING,
}


def _now(at: datetime | None) -> datetime:
    now = timezone.now()
    if at is None:
        return now
    if at.tzinfo is None:
        raise ValidationError({"at": "Instants must carry a time zone offset."})
    if at > now:
        raise ValidationError({"at": "An instant cannot be in the future."})
    return at


IMPORTS_ONLY = (
    "Only imports (admins or tokens with the import permission) may date an event; leave it out and it "
    "happens now."
)


def _event_instant(at: datetime | None, *, actor: User, can_import: bool) -> datetime:
    """When an SLA event happens: now, or ``at`` for an import (``may_date_events``), the same rule for
    every door (API, phone, chat)."""
    if at is not None and not may_date_events(actor, can_import=can_import):
        raise ValidationError({"at": IMPORTS_ONLY})
    return _now(at)


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != ticket.version:
        raise Conflict(ticket.version)


def _lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock: concurrent changes to one ticket are serialised."""
    return Ticket.objects.select_for_update().select_related("plan", "organisation").get(pk=ticket.pk)


def _audit(ticket: Ticket, actor: User, door: Door, action: str, **kwargs: Any) -> None:
    """Record an event about a ticket (inside the change's transaction), scoped to its organisation."""
    record(
        actor=actor, door=door, action=action, target=ticket, organisation_id=ticket.organisation_id, **kwargs
    )


def _bump(ticket: Ticket, fields: Iterable[str]) -> None:
    ticket.version += 1
    sla.refresh_next_due(ticket)
    ticket.save(update_fields=[*set(fields), "version", *sla.SUMMARY_FIELDS, "updated_at"])


def _next_reference(year: int) -> str:
    """The next reference of ``year`` (the provider's calendar year): gap-free, as the counter row is locked
    until the ticket's transaction ends."""
    counter, _ = TicketCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"GT-{year}-{counter.last:06d}"


def quota_usage(organisation: Organisation, at: datetime | None = None, plan=...) -> dict[str, Any]:
    """Tickets opened this month (provider's time zone) against the plan's monthly quota."""
    at = at or timezone.now()
    if plan is ...:
        plan = plan_for_organisation(organisation)
    used = Ticket.objects.filter(
        organisation=organisation, opened_at__gte=provider.month_start(at), merged_into__isnull=True
    ).count()
    quota = plan.monthly_ticket_quota if plan else None
    return {
        "quota": quota,
        "used": used,
        "remaining": None if quota is None else max(quota - used, 0),
        "policy": plan.quota_policy if plan else QuotaPolicy.FLAG,
    }


def _route(category: str) -> tuple[Team | None, User | None]:
    """Complaints go to a supervisor; incidents to the NOC, billing to the billing team, the rest to
    support."""
    kind = TEAM_FOR_CATEGORY.get(category, Team.Kind.SUPPORT)
    team = Team.objects.filter(kind=kind).order_by("pk").first() or Team.objects.order_by("pk").first()
    assignee = None
    if category == Category.COMPLAINT:
        assignee = (team.supervisor if team and team.supervisor_id else None) or User.objects.filter(
            kind=User.Kind.SUPERVISOR, is_active=True
        ).order_by("pk").first()
    return team, assignee


def _unknown(field: str, value: str, choices: Sequence[str]) -> str:
    return f"Unknown {field} {value!r}: use {', '.join(choices)}."


def _check_wording(errors: dict[str, str], *, subject: str, description: str) -> None:
    if not subject.strip():
        errors["subject"] = "A subject is required."
    if len(subject) > 200:
        errors["subject"] = "At most 200 characters."
    if not description.strip():
        errors["description"] = "Describe the problem."


def _check_kinds(errors: dict[str, str], *, category: str, priority: str, channel: str) -> None:
    if category not in Category.values:
        errors["category"] = _unknown("category", category, Category.values)
    if priority not in Priority.values:
        errors["priority"] = _unknown("priority", priority, Priority.values)
    if channel not in Channel.values:
        errors["channel"] = _unknown("channel", channel, Channel.values)


OWN_ORGANISATION_ONLY = "You can only open tickets for your own organisation."


def ticket_organisation(*, actor: User, organisation_id: int | None) -> Organisation:
    """The organisation a door's ``organisation_id`` names for a new ticket: a customer's own (naming another,
    existing or not, is refused before any lookup: it is never named nor confirmed); staff name one."""
    if is_customer(actor):
        contact = acting_contact(actor)
        if contact is None:
            raise PermissionDenied("Your login is not a contact of any organisation.")
        if organisation_id not in (None, contact.organisation_id):
            raise ValidationError({"organisation": OWN_ORGANISATION_ONLY})
        organisation_id = contact.organisation_id
    elif organisation_id is None:
        raise ValidationError({"organisation_id": "Staff must say which organisation the ticket is for."})
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise ValidationError({"organisation_id": "No such organisation."})
    return organisation


def _check_parties(
    errors: dict[str, str], *, actor: User, organisation: Organisation, requester: User
) -> None:
    """A customer opens tickets for its own organisation; the requester is an active contact of it."""
    if is_customer(actor):
        contact = acting_contact(actor)
        if contact is None or contact.organisation_id != organisation.pk:
            errors["organisation"] = OWN_ORGANISATION_ONLY
    req_contact = getattr(requester, "contact", None)
    if req_contact is None or req_contact.organisation_id != organisation.pk or not req_contact.is_active:
        errors["requester"] = "The requester must be an active contact of the ticket's organisation."


def _check_opened_at(
    errors: dict[str, str], opened_at: datetime | None, *, actor: User, can_import: bool, now: datetime
) -> None:
    if opened_at is None:
        return
    if not may_date_events(actor, can_import=can_import):
        errors["opened_at"] = "Only imports (admins or tokens with the import permission) may set opened_at."
    elif opened_at.tzinfo is None:
        errors["opened_at"] = "opened_at must carry a time zone offset."
    elif opened_at > now:
        errors["opened_at"] = "opened_at cannot be in the future."


def _check_plan(
    errors: dict[str, str], *, organisation: Organisation, subscription: Any, channel: str
) -> tuple[SlaPlan | None, Any]:
    """The plan the ticket runs on (its subscription's, else its organisation's) and the subscription, which
    must be one of the organisation's; the plan must include the channel."""
    if subscription is not None and subscription.organisation_id != organisation.pk:
        errors["subscription_id"] = f"{organisation.name} has no such subscription."
        subscription = None
    plan = subscription.plan if subscription is not None else plan_for_organisation(organisation)
    if plan is None:
        errors["organisation"] = "This organisation has no SLA plan yet."
    elif channel in Channel.values and not plan.includes_channel(channel):
        # An English sentence, kept as a held mail's reason: the channels' labels in English, whoever asks.
        with translation.override("en"):
            errors["channel"] = (
                f"The {plan.name} plan does not include support by {Channel(channel).label}: use "
                f"{', '.join(plan.channel_names())}."
            )
    return plan, subscription


def check_ticket_create(
    *,
    actor: User,
    organisation: Organisation,
    requester: User,
    subject: str,
    description: str,
    category: str,
    priority: str,
    channel: str,
    opened_at: datetime | None,
    can_import: bool,
    subscription: Any,
    attachments: Sequence[Any],
    now: datetime,
) -> Ticket:
    """Validate a new ticket (ValidationError naming every field at fault) and return it, unsaved, on the
    plan it runs on."""
    errors: dict[str, str] = _check_uploads(attachments)
    _check_wording(errors, subject=subject, description=description)
    _check_kinds(errors, category=category, priority=priority, channel=channel)
    _check_parties(errors, actor=actor, organisation=organisation, requester=requester)
    _check_opened_at(errors, opened_at, actor=actor, can_import=can_import, now=now)
    plan, subscription = _check_plan(
        errors, organisation=organisation, subscription=subscription, channel=channel
    )
    if errors:
        raise ValidationError(errors)
    return Ticket(
        organisation=organisation,
        requester=requester,
        subscription=subscription,
        plan=plan,
        category=category,
        priority=priority,
        status=Status.NEW,
        channel=channel,
        subject=subject.strip(),
        opened_at=opened_at or now,
        customer_flagged_urgent=is_customer(actor) and priority == Priority.URGENT,
        outside_sla=category == Category.TECHNICAL_SERVICE,
    )


def ticket_create(
    *,
    actor: User,
    door: Door,
    organisation: Organisation,
    requester: User,
    subject: str,
    description: str,
    category: str = Category.REQUEST,
    priority: str = Priority.MEDIUM,
    channel: str = Channel.PORTAL,
    opened_at: datetime | None = None,
    can_import: bool = False,
    subscription=None,
    attachments: Sequence[Any] = (),
    external_id: str = "",
) -> Ticket:
    """Open a ticket. ``opened_at`` in the past is an import (from another helpdesk): only for admins or
    tokens with the import permission; the clocks then run from that instant. A ticket about one of the
    organisation's subscriptions runs on that subscription's plan; otherwise on the organisation's plan.
    ``attachments`` (uploaded files) and ``external_id`` (the channel's id of the message: a mail's
    Message-ID, a WhatsApp id) are kept on the ticket's first message, in the same transaction; the ticket
    returned carries that message as ``opening_message``."""
    now = timezone.now()
    ticket = check_ticket_create(
        actor=actor,
        organisation=organisation,
        requester=requester,
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        channel=channel,
        opened_at=opened_at,
        can_import=can_import,
        subscription=subscription,
        attachments=attachments,
        now=now,
    )
    return _do_ticket_create(
        ticket,
        actor=actor,
        door=door,
        description=description,
        attachments=attachments,
        external_id=external_id,
        imported=opened_at is not None,
        now=now,
    )


def _do_ticket_create(
    ticket: Ticket,
    *,
    actor: User,
    door: Door,
    description: str,
    attachments: Sequence[Any],
    external_id: str,
    imported: bool,
    now: datetime,
) -> Ticket:
    # Everything that only reads (routing, the clocks' maths) before the write transaction: on SQLite that
    # transaction holds the database's one write lock from its first statement (BEGIN IMMEDIATE).
    ticket.team, ticket.assignee = _route(ticket.category)
    clocks = sla.new_clocks(ticket, now)
    sla.refresh_next_due(ticket, clocks)
    with transaction.atomic():
        _count_against_quota(ticket)
        ticket.reference = _next_reference(provider.year(ticket.opened_at))
        ticket.save()
        for clock in clocks:
            clock.ticket = ticket
        SlaClock.objects.bulk_create(clocks)
        Ticket.watchers.through.objects.create(ticket=ticket, user=ticket.requester)  # none yet
        first = TicketMessage.objects.create(
            ticket=ticket,
            author=ticket.requester,
            kind=MessageKind.PUBLIC,
            body=description,
            channel=ticket.channel,
            created_at=ticket.opened_at,
            external_id=external_id[:255],
        )
        ticket.opening_message = first
        files = _store_uploads(first, attachments)
        search.index([ticket.pk])
        _audit_created(ticket, actor, door, imported=imported, files=files)
        events.ticket_opened.send(sender=Ticket, ticket=ticket, door=door)
        if door != "import" and ticket.category == Category.INCIDENT and ticket.priority == Priority.URGENT:
            notifications.urgent_incident(ticket=ticket, at=now)  # the team (on call: channels.oncall)
    return ticket


def _count_against_quota(ticket: Ticket) -> None:
    """Flag a ticket over its plan's monthly quota, or refuse it when the plan says so (counted only where a
    quota is set)."""
    plan, organisation = ticket.plan, ticket.organisation
    if plan.monthly_ticket_quota is None:
        return
    # Concurrent creations for one organisation count one after the other: none slips past it.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).exists()
    usage = quota_usage(organisation, ticket.opened_at, plan)
    ticket.over_quota = usage["used"] >= usage["quota"]
    if ticket.over_quota and plan.quota_policy == QuotaPolicy.REFUSE:
        raise QuotaExceeded(
            ngettext(
                "%(organisation)s has used its %(quota)s ticket this month; its plan refuses more until "
                "next month. Contact your account manager to raise the quota.",
                "%(organisation)s has used its %(quota)s tickets this month; its plan refuses more until "
                "next month. Contact your account manager to raise the quota.",
                usage["quota"],
            )
            % {"organisation": organisation.name, "quota": usage["quota"]}
        )


def _audit_created(ticket: Ticket, actor: User, door: Door, *, imported: bool, files: list[dict]) -> None:
    _audit(
        ticket,
        actor,
        door,
        "ticket.created",
        at=ticket.opened_at if imported else None,
        changes={
            "reference": ticket.reference,
            "category": ticket.category,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "opened_at": ticket.opened_at,
            "over_quota": ticket.over_quota,
            "team": ticket.team.name if ticket.team else None,
            "subscription": ticket.subscription_id,
            **({"attachments": files} if files else {}),
        },
    )


NO_CUSTOMER_NOTES = "Customers cannot write internal notes."


def check_ticket_reply(*, actor: User, body: str, internal: bool, attachments: Sequence[Any]) -> None:
    """Validate a reply: a text, files we keep; internal notes are for staff."""
    errors = _check_uploads(attachments)
    if not body.strip():
        errors["body"] = "The message is empty."
    if errors:
        raise ValidationError(errors)
    if is_customer(actor) and internal:
        raise PermissionDenied(NO_CUSTOMER_NOTES)


def _lock_for_reply(ticket: Ticket, expected_version: int | None) -> Ticket:
    """The ticket a reply lands in, locked: the one a merged ticket was merged into; never a closed one."""
    ticket = _lock(ticket)
    while ticket.merged_into_id:
        ticket = _lock(ticket.merged_into)  # type: ignore[arg-type]
        expected_version = None  # the version the sender knew was the merged ticket's
    _check_version(ticket, expected_version)
    if ticket.status == Status.CLOSED:
        raise ValidationError({"ticket": f"{ticket.reference} is closed: open a new ticket and mention it."})
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    actor: User,
    door: Door,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    at: datetime | None = None,
    can_import: bool = False,
    channel: str | None = None,
    expected_version: int | None = None,
    attachments: Sequence[Any] = (),
    external_id: str = "",
) -> TicketMessage:
    """Add a public reply or an internal note. A customer's reply to a ticket pending the customer resumes its
    clocks; the first public reply of the provider meets the first-response clock; a customer's reply to a
    resolved ticket reopens it; a reply to a merged ticket lands in the ticket it was merged into. ``at``
    (when it was written) is for imports only (``_event_instant``). ``attachments`` (uploaded files) and
    ``external_id`` (the channel's id of the message) are kept on this message, with the one audit event of
    the reply."""
    check_ticket_reply(actor=actor, body=body, internal=internal, attachments=attachments)
    ticket = _lock_for_reply(ticket, expected_version)
    when = _event_instant(at, actor=actor, can_import=can_import)
    now = timezone.now()
    message = TicketMessage.objects.create(
        ticket=ticket,
        author=actor,
        kind=MessageKind.INTERNAL if internal else MessageKind.PUBLIC,
        body=body,
        channel=channel or (Channel.API if door == "api" else Channel.PORTAL),
        created_at=when,
        external_id=external_id[:255],
    )
    changes: dict[str, Any] = {"message_id": message.pk, "kind": message.kind}
    files = _store_uploads(message, attachments)
    if files:
        changes["attachments"] = files
    changed = _move_on_reply(ticket, actor, internal, when, now)
    if changed:
        changes["status"] = ticket.status
    _bump(ticket, changed)
    search.index([ticket.pk])
    action = "ticket.note_added" if internal else "ticket.replied"
    _audit(ticket, actor, door, action, changes=changes, internal=internal, at=when if at else None)
    if not is_customer(actor) and not internal:
        events.staff_replied.send(sender=Ticket, message=message)
    return message


def _move_on_reply(ticket: Ticket, actor: User, internal: bool, when: datetime, now: datetime) -> list[str]:
    """What a reply does to the ticket and its clocks; the fields it changed."""
    changed = []
    if is_customer(actor):
        if ticket.status == Status.PENDING_CUSTOMER:
            ticket.status = Status.OPEN
            sla.resume(ticket, when, now)
            changed.append("status")
        elif ticket.status == Status.RESOLVED:
            _reopen(ticket, when, now)
            changed += ["status", "resolved_at"]
    elif not internal:
        if ticket.first_response_at is None:
            ticket.first_response_at = when
            sla.stop(ticket, [Clock.FIRST_RESPONSE], when, now)
            changed.append("first_response_at")
        if ticket.status == Status.NEW:
            ticket.status = Status.OPEN
            changed.append("status")
    return changed


def _check_uploads(uploads: Sequence[Any]) -> dict[str, str]:
    """The errors of files sent with a message (type judged by content, size), by field."""
    for upload in uploads:
        try:
            check_upload(upload)
        except ValidationError as exc:
            name = clean_filename(upload.name or "")
            return {"attachments": f"{name}: {exc.messages[0] if exc.messages else exc}"}
    return {}


def _store_uploads(message: TicketMessage, uploads: Sequence[Any]) -> list[dict[str, Any]]:
    """Keep checked files on ``message`` (inside the caller's transaction); what the audit says of them."""
    kept = []
    for upload in uploads:
        name = clean_filename(upload.name or "")
        row = Attachment(
            ticket=message.ticket,
            message=message,
            filename=name,
            content_type=check_upload(upload),
            size=upload.size,
        )
        row.file.save(name, upload, save=False)
        row.save()
        kept.append({"attachment_id": row.pk, "filename": name, "size": row.size})
    return kept


def _reopen(ticket: Ticket, when: datetime, now: datetime) -> None:
    ticket.status = Status.OPEN
    ticket.resolved_at = None
    sla.restart(ticket, [Clock.RESOLUTION], when, now)


def check_assignee(user_id: int | None, *, field: str = "assignee") -> User | None:
    """The person ``user_id`` names for a ticket's assignee (None: nobody). An id that names no one is
    refused, naming ``field``: never read as "nobody", which would unassign the ticket."""
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: "No such user."})
    return user


def check_team(team_id: int | None, *, field: str = "team") -> Team | None:
    """The team ``team_id`` names (None: no team); an id that names no team is refused, naming ``field``."""
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationError({field: "No such team."})
    return team


def check_ticket_change(
    *,
    actor: User,
    priority: str | None,
    status: str | None,
    category: str | None,
    assignee: User | object | None,
    team: Team | object | None,
) -> None:
    """Validate a change: known values; customers may only flag their ticket urgent and close or reopen it;
    tickets are assigned to provider staff."""
    errors: dict[str, str] = {}
    if priority is not None and priority not in Priority.values:
        errors["priority"] = _unknown("priority", priority, Priority.values)
    if status is not None and status not in STAFF_STATUSES:
        errors["status"] = _unknown("status", status, sorted(STAFF_STATUSES))
    if category is not None and category not in Category.values:
        errors["category"] = _unknown("category", category, Category.values)
    if is_customer(actor):
        if priority is not None and priority != Priority.URGENT:
            errors["priority"] = "Customers may only flag a ticket urgent."
        if status is not None and status not in (Status.CLOSED, Status.OPEN):
            errors["status"] = "Customers may only close a ticket or reopen a resolved one."
        if category is not None:
            errors["category"] = "Customers cannot change the category."
        if assignee is not ... or team is not ...:
            raise PermissionDenied("Customers cannot assign tickets.")
    if isinstance(assignee, User) and not assignee.is_provider_staff:
        errors["assignee"] = "Tickets are assigned to provider staff only."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def ticket_change(
    *,
    actor: User,
    door: Door,
    ticket: Ticket,
    expected_version: int | None,
    priority: str | None = None,
    status: str | None = None,
    category: str | None = None,
    assignee: User | object | None = ...,
    team: Team | object | None = ...,
    at: datetime | None = None,
    can_import: bool = False,
) -> Ticket:
    """Change priority, status, category, assignee or team. Customers may only flag their ticket urgent
    and close or reopen it; everything else is for staff. ``at`` is for imports only (``_event_instant``)."""
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    when = _event_instant(at, actor=actor, can_import=can_import)
    now = timezone.now()
    check_ticket_change(
        actor=actor, priority=priority, status=status, category=category, assignee=assignee, team=team
    )
    changes: dict[str, Any] = {}
    fields: list[str] = []
    _change_kind(
        ticket, changes, fields, actor=actor, priority=priority, category=category, when=when, now=now
    )
    if assignee is not ...:
        changes["assignee"] = [ticket.assignee_id, getattr(assignee, "pk", None)]
        ticket.assignee = assignee  # type: ignore[assignment]
        fields.append("assignee")
    if team is not ...:
        changes["team"] = [ticket.team_id, getattr(team, "pk", None)]
        ticket.team = team  # type: ignore[assignment]
        fields.append("team")
    if status is not None and status != ticket.status:
        changes["status"] = [ticket.status, status]
        _move_status(ticket, status, when, now)
        fields += ["status", "resolved_at", "closed_at", "first_response_at", "intervention_started_at"]
    if not changes:
        return ticket
    _bump(ticket, fields)
    _audit(ticket, actor, door, "ticket.changed", changes=changes, at=when if at else None)
    if ticket.status == Status.RESOLVED and "status" in changes:
        events.ticket_resolved.send(sender=Ticket, ticket=ticket)
    return ticket


NOT_RESOLVED = "{reference} is no longer resolved: nothing to confirm."
SAY_WHAT_IS_WRONG = "Say what is still wrong."
OWN_TICKETS_ONLY = "Only the active contacts of the ticket's organisation confirm its resolution."


@transaction.atomic
def ticket_confirm_resolution(
    *, actor: User, door: Door, ticket: Ticket, solved: bool, reason: str = ""
) -> Ticket:
    """The customer's answer to a resolution: solved closes the ticket (``ticket_change``); not solved
    reopens it with ``reason`` as the customer's public message (``ticket_reply``: the resolution clock
    restarts as for any reopen). One transaction, one audit event (the one of the change or of the reply).
    A ticket no longer resolved (a stale page) is refused on ``status``."""
    contact = acting_contact(actor)
    if contact is None or contact.organisation_id != ticket.organisation_id:
        raise PermissionDenied(OWN_TICKETS_ONLY)
    ticket = _lock(ticket)
    if ticket.status != Status.RESOLVED:  # first: a stale page's reason does not matter any more
        raise ValidationError({"status": NOT_RESOLVED.format(reference=ticket.reference)})
    if not solved and not reason.strip():
        raise ValidationError({"reason": SAY_WHAT_IS_WRONG})
    if solved:
        return ticket_change(
            actor=actor, door=door, ticket=ticket, expected_version=None, status=Status.CLOSED
        )
    message = ticket_reply(actor=actor, door=door, ticket=ticket, body=reason)
    return message.ticket


def _change_kind(
    ticket: Ticket,
    changes: dict[str, Any],
    fields: list[str],
    *,
    actor: User,
    priority: str | None,
    category: str | None,
    when: datetime,
    now: datetime,
) -> None:
    """A new category or priority, and what it does to the clocks: a technical service request leaves the
    SLA, a ticket that stops being one enters it, other changes retarget the undecided clocks."""
    was_outside = ticket.outside_sla
    if category is not None and category != ticket.category:
        changes["category"] = [ticket.category, category]
        ticket.category = category
        ticket.outside_sla = category == Category.TECHNICAL_SERVICE
        fields += ["category", "outside_sla"]
    if priority is not None and priority != ticket.priority:
        changes["priority"] = [ticket.priority, priority]
        ticket.priority = priority
        if is_customer(actor):
            ticket.customer_flagged_urgent = True
            fields.append("customer_flagged_urgent")
        fields.append("priority")
    if ticket.outside_sla and not was_outside:
        sla.leave_sla(ticket, when, now)  # a technical service request: no clock counts or escalates
    elif was_outside and not ticket.outside_sla:
        sla.enter_sla(ticket, when, now)  # from the opening, as for any category change
    elif "priority" in changes or "category" in changes:
        sla.retarget(ticket, now, at=when)


def _move_status(ticket: Ticket, new: str, when: datetime, now: datetime) -> None:
    old = ticket.status
    if old == Status.CLOSED:
        raise ValidationError({"status": f"{ticket.reference} is closed; open a new ticket instead."})
    if old == Status.PENDING_CUSTOMER and new != Status.PENDING_CUSTOMER:
        sla.resume(ticket, when, now)
    if new == Status.PENDING_CUSTOMER:
        sla.pause(ticket, when, now)
    if new in (Status.RESOLVED, Status.CLOSED):
        # Resolving answers and intervenes too: no clock may breach after the fault is fixed.
        sla.stop(ticket, Clock.values, when, now)
        if new == Status.RESOLVED or ticket.resolved_at is None:
            ticket.resolved_at = ticket.resolved_at or when
        if new == Status.CLOSED:
            ticket.closed_at = when
    if old == Status.RESOLVED and new in OPEN_STATUSES:
        ticket.resolved_at = None
        sla.restart(ticket, [Clock.RESOLUTION], when, now)
        if new == Status.PENDING_CUSTOMER:
            sla.pause(ticket, when, now)
    ticket.status = new


@transaction.atomic
def ticket_start_intervention(
    *,
    actor: User,
    door: Door,
    ticket: Ticket,
    expected_version: int | None = None,
    at: datetime | None = None,
    can_import: bool = False,
) -> Ticket:
    """The agent starts working on the fault: meets the intervention clock (at ``at`` for an import only)."""
    if is_customer(actor):
        raise PermissionDenied("Only provider staff start interventions.")
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    if ticket.intervention_started_at is not None:
        raise ValidationError({"ticket": "The intervention has already started."})
    if not ticket.is_open:
        raise ValidationError({"ticket": f"{ticket.reference} is {ticket.status}."})
    when = _event_instant(at, actor=actor, can_import=can_import)
    ticket.intervention_started_at = when
    sla.stop(ticket, [Clock.INTERVENTION], when, timezone.now())
    fields = ["intervention_started_at"]
    if ticket.status == Status.NEW:
        ticket.status = Status.OPEN
        fields.append("status")
    _bump(ticket, fields)
    _audit(
        ticket,
        actor,
        door,
        "ticket.intervention_started",
        changes={"intervention_started_at": when},
        at=when if at else None,
    )
    return ticket


def raise_priority(ticket: Ticket) -> str | None:
    """The priority one level up, or None at the top."""
    i = PRIORITY_ORDER.index(Priority(ticket.priority))
    return PRIORITY_ORDER[i + 1].value if i + 1 < len(PRIORITY_ORDER) else None


@transaction.atomic
def quote_send(
    *, actor: User, door: Door, ticket: Ticket, amount: Decimal, currency: str = "EUR", description: str = ""
) -> Quote:
    """Send the customer the price of a technical service request."""
    if is_customer(actor):
        raise PermissionDenied("Only provider staff send quotes.")
    ticket = _lock(ticket)
    if ticket.category != Category.TECHNICAL_SERVICE:
        raise ValidationError({"ticket": "Only technical service requests are quoted."})
    if ticket.status == Status.CLOSED:
        raise ValidationError({"ticket": f"{ticket.reference} is closed: open a new ticket instead."})
    if amount < 0:
        raise ValidationError({"amount": "A quote cannot be negative."})
    if ticket.quotes.filter(status=QuoteStatus.SENT).exists():
        raise ValidationError({"ticket": "A quote is already waiting for the customer's answer."})
    quote = Quote.objects.create(
        ticket=ticket,
        amount=amount.quantize(Decimal("0.01")),
        currency=currency.upper(),
        description=description,
        sent_at=timezone.now(),
        sent_by=actor,
    )
    if ticket.status != Status.PENDING_CUSTOMER:
        # Through the clocks, as any status change: a ticket that left the SLA keeps clocks it had decided.
        _move_status(ticket, Status.PENDING_CUSTOMER, quote.sent_at, quote.sent_at)
    _bump(ticket, ["status"])
    _audit(
        ticket,
        actor,
        door,
        "quote.sent",
        changes={"quote_id": quote.pk, "amount": str(quote.amount), "currency": quote.currency},
    )
    events.quote_sent.send(sender=Quote, quote=quote)  # the customer is told (channels.mail.outbound)
    return quote


QUOTE_DECIDERS_ONLY = "Only your organisation's admin or billing contacts may accept or refuse a quote."


def may_decide_quote(user: User, ticket: Ticket) -> bool:
    """A quote is a commitment to pay: the admin or billing contacts of the ticket's organisation decide it
    (and the provider's admins, on their behalf)."""
    return is_admin(user) or contact_holds(user, MONEY_ROLES, ticket.organisation_id)


@transaction.atomic
def quote_decide(*, actor: User, door: Door, quote: Quote, accept: bool) -> Quote:
    """The customer accepts the quote (the work can start) or refuses it: an admin or billing contact."""
    if not is_customer(actor) and not is_admin(actor):
        raise PermissionDenied("The customer decides on a quote.")
    if not may_decide_quote(actor, quote.ticket):
        raise PermissionDenied(QUOTE_DECIDERS_ONLY)
    ticket = _lock(quote.ticket)
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != QuoteStatus.SENT:
        raise ValidationError({"quote": f"This quote was already {quote.status}."})
    if ticket.status == Status.CLOSED:
        raise ValidationError({"quote": f"{ticket.reference} is closed: its quote can no longer be decided."})
    quote.status = QuoteStatus.ACCEPTED if accept else QuoteStatus.REFUSED
    quote.decided_at = timezone.now()
    quote.decided_by = actor
    quote.save(update_fields=["status", "decided_at", "decided_by"])
    decided = Status.OPEN if accept else Status.RESOLVED
    if ticket.status != decided:
        # Through the clocks, as any status change (a ticket that left the technical service requests since
        # the quote was sent has clocks, paused while the quote waited for the customer).
        _move_status(ticket, decided, quote.decided_at, quote.decided_at)
    _bump(ticket, ["status", "resolved_at", "closed_at"])
    _audit(
        ticket,
        actor,
        door,
        "quote.accepted" if accept else "quote.refused",
        changes={"quote_id": quote.pk},
    )
    backoffice_open(
        organisation=ticket.organisation,
        kind=BackOfficeRequest.Kind.QUOTE,
        summary=f"{ticket.reference}: quote of {quote.amount} {quote.currency} "
        + ("accepted: plan the work" if accept else "refused"),
        requested_by=actor,
        door=door,
    )
    return quote


@transaction.atomic
def ticket_merge(
    *, actor: User, door: Door, ticket: Ticket, into: Ticket, expected_version: int | None = None
) -> Ticket:
    """Merge ``ticket`` into ``into`` (same organisation): its messages, attachments and watchers move, it
    closes with a link to the surviving ticket, and later replies to it land there."""
    if is_customer(actor):
        raise PermissionDenied("Only provider staff merge tickets.")
    if ticket.pk == into.pk:
        raise ValidationError({"into": "A ticket cannot be merged into itself."})
    # Lock both rows in id order: two agents merging crosswise cannot deadlock.
    first, second = sorted([ticket.pk, into.pk])
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update().select_related("plan").filter(pk__in=[first, second])
    }
    source, target = locked[ticket.pk], locked[into.pk]
    _check_version(source, expected_version)
    if source.organisation_id != target.organisation_id:
        raise ValidationError({"into": "Tickets of different organisations cannot be merged."})
    if source.merged_into_id:
        raise ValidationError({"ticket": f"{source.reference} is already merged."})
    if target.merged_into_id or target.status == Status.CLOSED:
        raise ValidationError({"into": f"{target.reference} is closed or merged: choose an open ticket."})
    now = timezone.now()
    moved = source.messages.update(ticket=target)
    source.attachments.update(ticket=target)
    target.watchers.add(*source.watchers.all())
    source.merged_into = target
    sla.merge(source, now, now)
    source.status = Status.CLOSED
    source.closed_at = now
    _bump(source, ["merged_into", "status", "closed_at"])
    _bump(target, [])
    search.index([source.pk, target.pk])  # the messages moved: their words now find the survivor
    _audit(
        source,
        actor,
        door,
        "ticket.merged",
        changes={"into": target.reference, "messages_moved": moved},
    )
    _audit(
        target,
        actor,
        door,
        "ticket.merge_received",
        changes={"from": source.reference},
    )
    return target


@transaction.atomic
def ticket_attach(
    *, actor: User, door: Door, ticket: Ticket, upload, body: str = "", internal: bool = False
) -> Attachment:
    """Attach a file to a ticket, in a message of its own (public, or an internal note for staff)."""
    if internal and is_customer(actor):
        raise PermissionDenied(NO_CUSTOMER_NOTES)
    content_type = check_upload(upload)
    name = clean_filename(upload.name or "")
    message = ticket_reply(
        actor=actor, door=door, ticket=ticket, body=body.strip() or f"Attachment: {name}", internal=internal
    )
    attachment = Attachment(
        ticket=message.ticket, message=message, filename=name, content_type=content_type, size=upload.size
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    _audit(
        message.ticket,
        actor,
        door,
        "ticket.attachment_added",
        changes={"attachment_id": attachment.pk, "filename": name, "size": attachment.size},
        internal=internal,
    )
    return attachment


@transaction.atomic
def ticket_watch(*, actor: User, door: Door, ticket: Ticket, user: User, watch: bool = True) -> Ticket:
    """Add or remove a watcher: a contact of the ticket's organisation or a member of staff. Customers may
    add their colleagues; anyone may remove themselves."""
    ticket = _lock(ticket)
    contact = getattr(user, "contact", None)
    if watch and not may_act(user):
        raise ValidationError({"user_id": "Watchers are people who may act: this login is deactivated."})
    if not user.is_provider_staff and (contact is None or contact.organisation_id != ticket.organisation_id):
        raise ValidationError({"user_id": "Watchers are contacts of the ticket's organisation or staff."})
    if is_customer(actor) and user.is_provider_staff:
        raise ValidationError({"user_id": "Customers add their own colleagues as watchers."})
    if watch:
        ticket.watchers.add(user)
    else:
        ticket.watchers.remove(user)
    _bump(ticket, [])
    search.index([ticket.pk])  # watchers' names are searched
    _audit(
        ticket,
        actor,
        door,
        "ticket.watcher_added" if watch else "ticket.watcher_removed",
        changes={"user": user.username},
    )
    return ticket
