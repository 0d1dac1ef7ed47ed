"""Emergencies and on-call paging.

An emergency is an incident that cannot wait for support hours: one the customer declared urgent on a plan
whose fault handling runs around the clock, or any urgent incident opened while support is closed. It
pages the engineers on call for the NOC's rota — by mail and, when the rota has one, by an SMS gateway's
webhook — one after the other, each having ``acknowledge_minutes`` to acknowledge before the next is paged.
The sweep that pages the next one reads an indexed instant (``page_due``); each step is claimed in a
transaction, so nobody is paged twice and a restart loses nobody. Emergencies that were not emergencies are
marked as false alarms and counted per organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django_tasks import task

from guichet.audit.models import Door
from guichet.audit.services import record
from guichet.customers.models import Team, User
from guichet.customers.permissions import is_admin, is_customer
from guichet.errors import PermissionDenied, ValidationError
from guichet.jobs.enqueue import enqueue_with_commit
from guichet.jobs.mail import message_id
from guichet.plans.selectors import business_calendar
from guichet.tickets import events, notifications
from guichet.tickets.models import Category, Notification, Priority, Ticket

from .http import post_json
from .mail.parsing import safe_header_value
from .models import OnCallRota, OnCallShift, Page, PageAttempt


def emergency_reason(ticket: Ticket, at: datetime) -> str | None:
    """Why this ticket is an emergency, or None."""
    if ticket.category != Category.INCIDENT or ticket.priority != Priority.URGENT:
        return None
    plan = ticket.plan
    around_the_clock = plan.fault_calendar.hours.replace(" ", "") == "Mon-Sun00:00-24:00"
    if ticket.customer_flagged_urgent and around_the_clock:
        return "outage declared by the customer on a plan with fault handling around the clock"
    if not business_calendar(plan.support_calendar).is_open(at):
        return "urgent incident outside support hours"
    return None


def chain(rota: OnCallRota, at: datetime) -> list[OnCallShift]:
    """The shifts on call for ``rota`` at ``at``, one per person, in the order they are paged."""
    shifts = (
        OnCallShift.objects.filter(rota=rota, starts_at__lte=at, ends_at__gt=at, user__is_active=True)
        .select_related("user")
        .order_by("position", "starts_at", "pk")
    )
    return list({s.user_id: s for s in reversed(list(shifts))}.values())[::-1]


def _rota_for(ticket: Ticket) -> OnCallRota | None:
    if ticket.team_id and OnCallRota.objects.filter(team_id=ticket.team_id).exists():
        return OnCallRota.objects.get(team_id=ticket.team_id)
    return OnCallRota.objects.filter(team__kind=Team.Kind.NOC).order_by("pk").first()


def open_page(ticket: Ticket, reason: str, now: datetime) -> Page | None:
    """Page the first engineer on call (inside the caller's transaction). None without a rota."""
    rota = _rota_for(ticket)
    if rota is None:
        return None
    page = Page.objects.create(ticket=ticket, rota=rota, reason=reason, created_at=now)
    _page_next(page, now)
    _audit(page, None, Door.SYSTEM, "ticket.emergency_paged", reason=reason)
    return page


def _audit(page: Page, actor: User | None, door: Door, action: str, **changes) -> None:
    """An internal event of the paged ticket's history (customers do not see their pages)."""
    record(
        actor=actor,
        door=door,
        action=action,
        target=page.ticket,
        organisation_id=page.ticket.organisation_id,
        changes={"page_id": page.pk, **changes},
        internal=True,
    )


def _page_next(page: Page, now: datetime) -> None:
    already = set(page.attempts.values_list("user_id", flat=True))
    following = [shift for shift in chain(page.rota, now) if shift.user_id not in already]
    if not following:
        page.next_page_at = None  # everyone on call was paged: the team's supervisor is told
        page.save(update_fields=["next_page_at"])
        supervisor = page.rota.team.supervisor
        if supervisor is not None and supervisor.pk not in already:
            attempt = PageAttempt.objects.create(page=page, user=supervisor, at=now)
            enqueue_with_commit(send_page, attempt.pk)
        return
    shift = following[0]
    attempt = PageAttempt.objects.create(page=page, user=shift.user, phone=shift.phone, at=now)
    page.step += 1
    page.paged = shift.user
    page.next_page_at = now + timedelta(minutes=page.rota.acknowledge_minutes)
    page.save(update_fields=["step", "paged", "next_page_at"])
    enqueue_with_commit(send_page, attempt.pk)


def sweep(now: datetime | None = None) -> int:
    """Page the next engineer of every page nobody acknowledged in time; returns how many were paged."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            due = list(
                Page.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("rota__team__supervisor")
                .filter(acknowledged_at__isnull=True, next_page_at__lte=now)
                .order_by("next_page_at", "pk")[:100]
            )
            for page in due:
                _page_next(page, now)
        done += len(due)
        if len(due) < 100:
            return done


@dataclass
class RotaNow:
    """A rota as the console shows it: who is on call now (in paging order) and the next shifts."""

    rota: OnCallRota
    now: list[OnCallShift] = field(default_factory=list)
    next: list[OnCallShift] = field(default_factory=list)


def rota_board(now: datetime, upcoming: int = 3) -> list[RotaNow]:
    """Each rota with who is on call now (in the order ``chain`` pages them) and the next ``upcoming``
    shifts to start: one query for the rotas, one for the shifts."""
    rotas = list(OnCallRota.objects.select_related("team").order_by("team__name", "pk"))
    shifts = (
        OnCallShift.objects.filter(rota__in=rotas, ends_at__gt=now, user__is_active=True)
        .select_related("user")
        .order_by("starts_at", "position", "pk")
    )
    board = {rota.pk: RotaNow(rota) for rota in rotas}
    for shift in shifts:
        row = board[shift.rota_id]
        if shift.starts_at <= now:
            row.now.append(shift)
        elif len(row.next) < upcoming:
            row.next.append(shift)
    for row in board.values():  # as ``chain``: by position, one shift per person
        ordered = sorted(row.now, key=lambda s: (s.position, s.starts_at, s.pk))
        row.now = list({s.user_id: s for s in reversed(ordered)}.values())[::-1]
    return list(board.values())


def pages_board(since: datetime, limit: int = 50) -> dict[str, list[Page]]:
    """Pages for the console: open (nobody took them), acknowledged and false alarms since ``since``."""
    rows = Page.objects.select_related(
        "ticket", "ticket__organisation", "rota__team", "paged", "acknowledged_by"
    ).order_by("-created_at", "-pk")
    return {
        "open": list(rows.filter(acknowledged_at__isnull=True, false_alarm=False)[:limit]),
        "acknowledged": list(
            rows.filter(acknowledged_at__isnull=False, false_alarm=False, created_at__gte=since)[:limit]
        ),
        "false_alarms": list(rows.filter(false_alarm=True, created_at__gte=since)[:limit]),
    }


def may_acknowledge(user: User, page: Page) -> bool:
    """Who may take an emergency: the rota's team (its members and its supervisor), whoever is on the rota's
    shifts or was paged for it (a backup from another team), and admins. Not the rest of the staff: billing
    staff or another team's agents would silence the paging of a ticket that is not theirs."""
    if is_admin(user):
        return True
    if is_customer(user):
        return False
    team = page.rota.team
    return (
        team.supervisor_id == user.pk
        or team.members.filter(pk=user.pk).exists()
        or page.rota.shifts.filter(user=user).exists()
        or page.attempts.filter(user=user).exists()
    )


ONLY_THE_ROTA = "Only the on-call team's members, its supervisor, the engineers on its rota and admins {act}."


def _judge(user: User, page: Page, act: str = "acknowledge its pages") -> None:
    """Raise unless ``user`` may acknowledge ``page`` (``may_acknowledge``): the same people judge whether it
    is an emergency at all, since a false alarm silences the paging as an acknowledgement does."""
    if is_customer(user):
        raise PermissionDenied("Only provider staff acknowledge pages.")
    if not may_acknowledge(user, page):
        raise PermissionDenied(ONLY_THE_ROTA.format(act=act))


@transaction.atomic
def acknowledge(*, page: Page, user: User, now: datetime | None = None, door: Door = Door.API) -> Page:
    """The paged engineer takes the emergency: nobody else is paged."""
    _judge(user, page)
    page = Page.objects.select_for_update().get(pk=page.pk)
    if page.acknowledged_at is not None:
        raise ValidationError({"page": f"Already acknowledged by {page.acknowledged_by}."})
    page.acknowledged_at = now or timezone.now()
    page.acknowledged_by = user
    page.next_page_at = None
    page.save(update_fields=["acknowledged_at", "acknowledged_by", "next_page_at"])
    _audit(page, user, door, "ticket.emergency_acknowledged")
    return page


@transaction.atomic
def mark_false_alarm(*, page: Page, user: User, door: Door = Door.API) -> Page:
    """Not an emergency: paging stops, and the organisation's false alarms count one more. Only for who may
    acknowledge the page (``_judge``)."""
    _judge(user, page, "call its pages false alarms")
    page = Page.objects.select_for_update().get(pk=page.pk)
    page.false_alarm = True
    page.next_page_at = None
    page.save(update_fields=["false_alarm", "next_page_at"])
    _audit(page, user, door, "ticket.emergency_false_alarm")
    return page


def false_alarms(since: datetime) -> dict[int, int]:
    """Emergencies that were not, per organisation id, since ``since``."""
    rows = (
        Page.objects.filter(created_at__gte=since)
        .values("ticket__organisation_id")
        .annotate(n=Count("pk", filter=Q(false_alarm=True)))
    )
    return {r["ticket__organisation_id"]: r["n"] for r in rows if r["n"]}


@task()
def send_page(attempt_pk: int) -> bool:
    """Mail (and text, with the rota's gateway) one paged person. Idempotent: each way once."""
    attempt = PageAttempt.objects.select_related("page__ticket", "page__rota", "user").get(pk=attempt_pk)
    page, user, ticket = attempt.page, attempt.user, attempt.page.ticket
    text = (
        f"EMERGENCY {ticket.reference} ({ticket.organisation.name}): {ticket.subject}. {page.reason}. "
        f"Acknowledge within {page.rota.acknowledge_minutes} min."
    )
    if attempt.mailed_at is None and user.email:
        # Line breaks in the subject would fail the mail (BadHeaderError): they become spaces.
        subject = safe_header_value(f"[{ticket.reference}] EMERGENCY: {ticket.subject}")
        EmailMessage(  # one Message-ID per attempt: a repeat after a crash is recognised as a duplicate
            subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
            headers={"Message-ID": message_id("page", attempt.pk)},
        ).send()
        attempt.mailed_at = timezone.now()
        attempt.save(update_fields=["mailed_at"])
    if attempt.texted_at is None and page.rota.webhook_url and attempt.phone:
        # The same id and Idempotency-Key on every try of this attempt: a gateway that keeps them drops the
        # repeat of a text sent just before a crash (tasks run at least once).
        key = f"page-{attempt.pk}"
        post_json(
            page.rota.webhook_url,
            {"id": key, "to": attempt.phone, "text": text[:480]},
            headers={"Idempotency-Key": key},
        )
        attempt.texted_at = timezone.now()
        attempt.save(update_fields=["texted_at"])
    return True


@task()
def oncall_sweep() -> int:
    """Run by the scheduler every minute."""
    return sweep()


def on_opened(sender, ticket: Ticket, door: Door, **kwargs) -> None:
    if door == "import":
        return
    now = timezone.now()
    reason = emergency_reason(ticket, now)
    if reason is not None:
        open_page(ticket, reason, now)
    elif ticket.category == Category.INCIDENT and ticket.priority == Priority.URGENT:
        tell_on_call(ticket, now)


def tell_on_call(ticket: Ticket, now: datetime) -> None:
    """An urgent incident that is no emergency (support is open): the engineer on call for it, when a rota is
    configured, hears of it as its team does (a notification, not a page: nobody must acknowledge it). Team
    members were told by the ticket's creation already (``tickets.notifications.urgent_incident``)."""
    rota = _rota_for(ticket)
    on_call = chain(rota, now)[:1] if rota is not None else []
    told = {u.pk for u in notifications.team_of(ticket)}
    notifications.notify_each(
        recipients=[s.user for s in on_call if s.user_id not in told],
        ticket=ticket,
        kind=Notification.Kind.URGENT_INCIDENT,
        message=notifications.urgent_message(ticket),
        at=now,
    )


def connect() -> None:

    events.ticket_opened.connect(on_opened, dispatch_uid="channels.oncall.opened")
