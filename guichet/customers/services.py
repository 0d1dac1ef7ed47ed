"""Commands on people and organisations. Each runs in one transaction and writes the audit trail."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NoReturn

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from guichet.audit.models import Door
from guichet.audit.services import record
from guichet.businesstime import BusinessCalendar
from guichet.customers.permissions import is_customer, may_manage_organisations, may_rename
from guichet.jobs.enqueue import enqueue_with_commit

from .models import BackOfficeRequest, Contact, ContactRole, Organisation, Team, User, phone_digits
from .selectors import acting_contact, may_act


@transaction.atomic
def user_ensure(
    *,
    username: str,
    password: str,
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    kind: str = User.Kind.CUSTOMER,
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    time_zone: str = "UTC",
) -> tuple[User, bool]:
    """Create the user if missing (with this password); an existing user is left exactly as it is."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User(
        username=username,
        email=email,
        is_staff=is_staff,
        is_superuser=is_superuser,
        kind=kind,
        first_name=first_name,
        last_name=last_name,
        language=language,
        time_zone=time_zone,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user, True


@transaction.atomic
def organisation_ensure(
    *, slug: str, name: str, account_manager: User | None = None
) -> tuple[Organisation, bool]:
    org = Organisation.objects.filter(slug=slug).first()
    if org is not None:
        return org, False
    org = Organisation(slug=slug, name=name, account_manager=account_manager)
    org.full_clean()
    org.save()
    record(actor=None, door=Door.SYSTEM, action="organisation.created", target=org, organisation_id=org.pk)
    return org, True


@transaction.atomic
def contact_ensure(
    *, user: User, organisation: Organisation, roles: Sequence[str] = (), phone: str = ""
) -> tuple[Contact, bool]:
    contact = Contact.objects.filter(user=user).first()
    if contact is not None:
        return contact, False
    if user.is_provider_staff:
        raise ValueError("provider staff cannot be a customer contact")
    contact = Contact(user=user, organisation=organisation, roles=list(roles), phone=phone)
    contact.full_clean()
    contact.save()
    record(
        actor=None,
        door=Door.SYSTEM,
        action="contact.created",
        target=contact,
        organisation_id=organisation.pk,
        changes={"roles": list(roles)},
    )
    return contact, True


@transaction.atomic
def team_ensure(
    *, name: str, kind: str, supervisor: User | None, members: Sequence[User]
) -> tuple[Team, bool]:
    team = Team.objects.filter(name=name).first()
    created = team is None
    if created:
        team = Team(name=name, kind=kind, supervisor=supervisor)
        team.full_clean()
        team.save()
    assert team is not None
    missing = [m for m in members if not team.members.filter(pk=m.pk).exists()]
    if missing:
        team.members.add(*missing)
    return team, created or bool(missing)


def _deny(message: str) -> NoReturn:
    raise PermissionDenied(message)


@transaction.atomic
def organisation_create(
    *, actor: User, door: Door, name: str, slug: str, account_manager: User | None = None
) -> Organisation:

    if not may_manage_organisations(actor):
        _deny("Only supervisors, account managers and admins create organisations.")
    if account_manager is not None and not account_manager.is_provider_staff:
        raise ValidationError(
            {"account_manager": "The account manager must be a member of the provider's staff."}
        )
    org = Organisation(name=name.strip(), slug=slug, account_manager=account_manager)
    org.full_clean()
    org.save()
    record(
        actor=actor,
        door=door,
        action="organisation.created",
        target=org,
        organisation_id=org.pk,
        changes={"name": org.name, "slug": org.slug},
    )
    return org


@transaction.atomic
def contact_create(
    *,
    actor: User,
    door: Door,
    organisation: Organisation,
    email: str,
    first_name: str = "",
    last_name: str = "",
    roles: Sequence[str] = ("technical",),
    phone: str = "",
    language: str = "",
    time_zone: str = "UTC",
) -> Contact:
    """Add a contact to an organisation: by the organisation's admin contact, or by provider staff. The
    contact gets a login without a password (set through a reset link, or used for mail only)."""

    if is_customer(actor):
        own = acting_contact(actor)
        if own is None or own.organisation_id != organisation.pk:
            _deny("You can only manage your own organisation's contacts.")
        if not own.has_role("admin"):
            _deny("Only the organisation's admin contact manages contacts.")
    email = email.strip().lower()
    taken = identifier_errors(email=email, phone=phone)
    if taken:
        raise ValidationError(taken)
    user = User(
        username=email,
        email=email,
        first_name=first_name,
        last_name=last_name,
        kind=User.Kind.CUSTOMER,
        language=language,
        time_zone=time_zone,
    )
    user.set_unusable_password()
    contact = Contact(user=user, organisation=organisation, roles=list(roles), phone=phone)
    errors: dict = {}
    for obj, exclude in ((user, ["password"]), (contact, ["user"])):
        try:
            obj.full_clean(exclude=exclude)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    user.save()
    contact.user = user
    contact.save()
    record(
        actor=actor,
        door=door,
        action="contact.created",
        target=contact,
        organisation_id=organisation.pk,
        changes={"email": email, "roles": list(roles)},
    )
    backoffice_open(
        organisation=organisation,
        kind=BackOfficeRequest.Kind.CONTACT,
        summary=f"New contact {email} ({', '.join(roles)})",
        requested_by=actor,
        door=door,
    )
    return contact


# Full-text search (tickets/search.py) indexes each ticket's organisation's name and its requester's and
# watchers' names: a rename enqueues tickets.tasks.search_reindex, which indexes their tickets again by
# batches. A task rather than the tickets themselves here: an organisation may have tens of thousands of
# tickets, and customers sit below tickets (they never import it); the task's row is written in the
# rename's transaction, so the rename cannot commit without it.


def searched_name(user: User) -> str:
    """A person's name as the search index writes it for a requester (tickets/search.py ``_DOCS``): the full
    name, or the login when there is none; a watcher's is the same without the login."""
    return f"{user.first_name} {user.last_name}".strip(" ") or user.username


@transaction.atomic
def organisation_rename(*, actor: User, door: Door, organisation: Organisation, name: str) -> Organisation:
    """Give an organisation a new name (the Django admin's change page calls it). Its tickets are found
    under the new name once the task ``tickets.tasks.search_reindex`` has run; an unchanged name enqueues
    nothing."""
    if not may_rename(actor):
        _deny("Only supervisors, account managers and admins rename organisations.")
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    old, org.name = org.name, name.strip()
    if org.name == old:
        return org
    org.full_clean(exclude=["slug", "account_manager"])
    org.save(update_fields=["name"])
    organisation.name = org.name
    record(
        actor=actor,
        door=door,
        action="organisation.renamed",
        target=org,
        organisation_id=org.pk,
        changes={"name": org.name, "previous": old},
    )
    enqueue_with_commit("guichet.tickets.tasks.search_reindex", organisation_id=org.pk)
    return org


@transaction.atomic
def user_rename(
    *,
    actor: User,
    door: Door,
    user: User,
    first_name: str,
    last_name: str,
    username: str | None = None,
) -> User:
    """Change a person's first and last name (and login, ``username``): the Django admin's change page
    calls it. The tickets they requested or watch are indexed again (``tickets.tasks.search_reindex``) only
    when the name the search reads changed (``searched_name``): a login changed beside a full name enqueues
    nothing."""
    if not may_rename(actor):
        _deny("Only supervisors, account managers and admins rename people.")
    row = User.objects.select_for_update().get(pk=user.pk)
    before = {"first_name": row.first_name, "last_name": row.last_name, "username": row.username}
    searched = searched_name(row)
    row.first_name, row.last_name = first_name.strip(), last_name.strip()
    if username is not None:
        row.username = username.strip()
    changes = {k: getattr(row, k) for k, v in before.items() if getattr(row, k) != v}
    if not changes:
        return row
    row.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in before])
    row.save(update_fields=list(changes))
    for field, value in changes.items():
        setattr(user, field, value)
    _audit_person(actor, door, "user.renamed", row, changes)
    if searched_name(row) != searched:
        enqueue_with_commit("guichet.tickets.tasks.search_reindex", user_id=row.pk)
    return row


# An address or a phone number identifies one person: mail is filed as its sender's, a WhatsApp message and a
# ringing phone are put to the contact with that number. So no contact is given an address any other login
# has (a member of staff's, another organisation's contact's), nor a number another active contact has.
EMAIL_TAKEN = "This address is already another person's: an address identifies one person. Choose another."
PHONE_TAKEN = "This number is already another contact's: a number identifies one person. Choose another."


def _lock_identifier(kind: str, value: str) -> None:
    """Two contacts given the same new address or number at once, in two organisations, must not both pass
    the check: no unique constraint can say it (older data may hold shared numbers, which are held for an
    agent rather than refused), so the check and the write are serialised per identifier. On PostgreSQL, a
    transaction-level advisory lock on a 64-bit hash of it; SQLite's writers are serialised already (each
    write transaction is IMMEDIATE)."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"{kind}:{value}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def identifier_errors(
    *,
    email: str | None = None,
    phone: str | None = None,
    contact: Contact | None = None,
    user: User | None = None,
):
    """The fields among ``email`` and ``phone`` that already identify someone other than ``contact`` (or the
    login ``user``, for staff), with why: a dict for a ValidationError, empty when both are free. Addresses
    are compared without case, any login's (its address or its username), active or not (a reactivated
    login would share it); numbers by their digits, among active contacts. Call it inside the transaction
    that writes them: it holds each identifier's lock until that transaction ends (``_lock_identifier``)."""
    errors: dict[str, str] = {}
    own_user = contact.user_id if contact is not None else getattr(user, "pk", None)
    if email:
        address = email.strip()
        _lock_identifier("email", address.lower())
        users = User.objects.filter(models.Q(email__iexact=address) | models.Q(username__iexact=address))
        if own_user is not None:
            users = users.exclude(pk=own_user)
        if users.exists():
            errors["email"] = EMAIL_TAKEN
    digits = phone_digits(phone or "")
    if digits:
        _lock_identifier("phone", digits)
        others = Contact.objects.filter(phone_digits=digits, is_active=True)
        if contact is not None:
            others = others.exclude(pk=contact.pk)
        if others.exists():
            errors["phone"] = PHONE_TAKEN
    return errors


LAST_ADMIN = (
    "This is the organisation's last admin contact: give another contact the admin role first, or the "
    "organisation can no longer manage its contacts."
)


def _keeps_an_admin(contact: Contact, *, roles: list[str], is_active: bool) -> str | None:
    """The field to refuse when this change would leave the organisation without an active admin contact,
    else None. The organisation's row is locked first, so two admins removing each other's role at once
    are counted one after the other."""
    was_admin = contact.is_active and ContactRole.ADMIN in contact.roles
    if not was_admin or (is_active and ContactRole.ADMIN in roles):
        return None
    Organisation.objects.select_for_update().filter(pk=contact.organisation_id).first()
    # Roles are a JSON list: SQLite has no JSON containment lookup, so they are read (an organisation has
    # a handful of contacts).
    others = Contact.objects.filter(organisation_id=contact.organisation_id, is_active=True).exclude(
        pk=contact.pk
    )
    if any(ContactRole.ADMIN in roles for roles in others.values_list("roles", flat=True)):
        return None
    return "is_active" if not is_active else "roles"


# ------------------------------------------------------------------------------- back-office requests


def _backoffice_calendar():
    return BusinessCalendar(
        settings.GUICHET_BACKOFFICE_HOURS,
        settings.GUICHET_PROVIDER_TIME_ZONE,
        country=settings.GUICHET_BACKOFFICE_COUNTRY,
    )


def backoffice_open(
    *, organisation: Organisation, kind: str, summary: str, requested_by: User, door: Door
) -> BackOfficeRequest:
    """Record a management act for the back office, due the next business day at the same time
    (``GUICHET_BACKOFFICE_HOURS`` in the provider's zone). Call it inside the act's transaction."""

    now = timezone.now()
    request = BackOfficeRequest.objects.create(
        organisation=organisation,
        kind=kind,
        summary=summary[:300],
        requested_by=requested_by,
        requested_at=now,
        door=door,
        due_at=_backoffice_calendar().add_days(now, 1),
    )
    record(
        actor=requested_by,
        door=door,
        action="backoffice.requested",
        target=request,
        organisation_id=organisation.pk,
        changes={"kind": kind, "summary": request.summary, "due_at": request.due_at},
    )
    return request


@transaction.atomic
def backoffice_done(*, actor: User, door: Door, request: BackOfficeRequest) -> BackOfficeRequest:

    if not actor.is_provider_staff:
        _deny("Only the provider's staff process back-office requests.")
    request = BackOfficeRequest.objects.select_for_update().get(pk=request.pk)
    if request.done_at is None:
        request.done_at, request.done_by = timezone.now(), actor
        request.save(update_fields=["done_at", "done_by"])
        record(
            actor=actor,
            door=door,
            action="backoffice.done",
            target=request,
            organisation_id=request.organisation_id,
            changes={"late": request.done_at > request.due_at},
        )
    return request


@transaction.atomic
def contact_update(
    *,
    actor: User,
    door: Door,
    contact: Contact,
    roles: Sequence[str] | None = None,
    phone: str | None = None,
    is_active: bool | None = None,
) -> Contact:
    """Change a contact's roles, phone or whether it is active: by the organisation's admin contact, or staff.
    Contacts keep the NOC's lists current (000), so each change goes to the back office too."""

    if is_customer(actor):
        own = acting_contact(actor)
        if own is None or own.organisation_id != contact.organisation_id:
            _deny("You can only manage your own organisation's contacts.")
        if not own.has_role("admin"):
            _deny("Only the organisation's admin contact manages contacts.")
        if contact.pk == own.pk and is_active is False:
            raise ValidationError({"is_active": "You cannot deactivate yourself; ask another admin contact."})
    contact = Contact.objects.select_for_update().select_related("user").get(pk=contact.pk)
    refused = _keeps_an_admin(
        contact,
        roles=list(roles) if roles is not None else contact.roles,
        is_active=is_active if is_active is not None else contact.is_active,
    )
    if refused is not None:
        raise ValidationError({refused: LAST_ADMIN})
    changes: dict = {}
    if roles is not None and list(roles) != contact.roles:
        changes["roles"] = list(roles)
        contact.roles = list(roles)
    if phone is not None and phone != contact.phone:
        changes["phone"] = phone
        contact.phone = phone
    if is_active is not None and is_active != contact.is_active:
        changes["is_active"] = is_active
        contact.is_active = is_active
    if not changes:
        return contact
    if contact.is_active and ("phone" in changes or changes.get("is_active")):
        # A number changed, or a contact back with its old number: still that one person's alone.
        taken = identifier_errors(phone=contact.phone, contact=contact)
        if taken:
            raise ValidationError(taken)
    try:
        contact.full_clean(exclude=["user"])
    except ValidationError:
        raise
    contact.save()
    record(
        actor=actor,
        door=door,
        action="contact.changed",
        target=contact,
        organisation_id=contact.organisation_id,
        changes=changes,
    )
    backoffice_open(
        organisation=contact.organisation,
        kind=BackOfficeRequest.Kind.CONTACT,
        summary=f"{contact.user.email}: " + ", ".join(f"{k} → {v}" for k, v in changes.items()),
        requested_by=actor,
        door=door,
    )
    return contact


# ------------------------------------------------------------------------------- one's own profile

PROFILE_FIELDS = ("first_name", "last_name", "language", "time_zone")


@transaction.atomic
def profile_update(
    *,
    actor: User,
    door: Door,
    user: User,
    first_name: str,
    last_name: str,
    language: str,
    time_zone: str,
    phone: str | None = None,
) -> User:
    """A person changes their own profile: their name, the language they read ("" for none chosen: pages
    follow their browser, then their organisation's language; mail their organisation's), the zone their dates
    are shown in and, for a contact, the phone number the NOC calls (``None`` leaves it).

    Everything is checked before anything is written: a refusal names each field (a ValidationError) and
    saves nothing. One audit event lists what changed; a changed number goes to the back office too, as
    when the organisation's admin contact changes it (``contact_update``: the NOC's lists), and a changed
    name has the person's tickets indexed again for search (as ``user_rename``)."""
    if actor.pk != user.pk or not may_act(actor):
        _deny("You can only change your own profile.")
    row = User.objects.select_for_update().get(pk=user.pk)
    searched = searched_name(row)
    before = {field: getattr(row, field) for field in PROFILE_FIELDS}
    row.first_name, row.last_name = first_name.strip(), last_name.strip()
    row.language, row.time_zone = language, time_zone.strip()
    changes = {field: getattr(row, field) for field in PROFILE_FIELDS if getattr(row, field) != before[field]}
    errors: dict[str, list[str]] = {}
    try:
        row.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in PROFILE_FIELDS])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    contact = _new_phone(row, phone, errors) if phone is not None else None
    if contact is not None:
        changes["phone"] = contact.phone
    if errors:
        raise ValidationError(errors)
    if not changes:
        return row
    _write_profile(user, row, contact, changes)
    _audit_person(actor, door, "profile.changed", row, changes)
    if contact is not None:
        backoffice_open(
            organisation=contact.organisation,
            kind=BackOfficeRequest.Kind.CONTACT,
            summary=f"{row.email or row.username}: phone → {contact.phone or '—'}",
            requested_by=actor,
            door=door,
        )
    if searched_name(row) != searched:
        enqueue_with_commit("guichet.tickets.tasks.search_reindex", user_id=row.pk)
    return row


def _new_phone(row: User, phone: str, errors: dict[str, list[str]]) -> Contact | None:
    """The login's contact (locked) with its new number, unsaved, when the number changes; else None. What
    is wrong with it goes into ``errors``: a number identifies one person (``identifier_errors``)."""
    contact = Contact.objects.select_for_update().filter(user=row).first()
    if contact is None:
        raise ValidationError({"phone": "Only a customer contact has a phone number here."})
    if phone.strip() == contact.phone:
        return None
    contact.phone = phone.strip()
    try:
        contact.full_clean(exclude=["user", "organisation"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if contact.is_active and "phone" not in errors:
        errors.update(
            {
                field: [message]
                for field, message in identifier_errors(phone=contact.phone, contact=contact).items()
            }
        )
    return contact


def _write_profile(user: User, row: User, contact: Contact | None, changes: dict[str, str]) -> None:
    """Save the checked changes, and show them on the caller's objects too (the request's user and its
    cached contact), so that the rest of the request reads them as saved."""
    fields = [field for field in PROFILE_FIELDS if field in changes]
    if fields:
        row.save(update_fields=fields)
        for field in fields:
            setattr(user, field, changes[field])
    if contact is not None:
        contact.save(update_fields=["phone"])  # and its digits (Contact.save)
        cached = getattr(user, "contact", None)
        if cached is not None:
            cached.phone, cached.phone_digits = contact.phone, contact.phone_digits


@transaction.atomic
def password_change(*, actor: User, door: Door, user: User, password: str) -> User:
    """A person sets a new password for their own login. The door asks for the current one first (Django's
    PasswordChangeForm) and keeps the session signed in (``update_session_auth_hash``); the login's other
    sessions end (their hash no longer matches). The audit event says that it changed, never what to."""
    if actor.pk != user.pk or not may_act(actor):
        _deny("You can only change your own password.")
    row = User.objects.select_for_update().get(pk=user.pk)
    try:
        validate_password(password, row)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    row.set_password(password)
    row.save(update_fields=["password"])
    user.password = row.password
    _audit_person(actor, door, "password.changed", row)
    return row


def _audit_person(actor: User, door: Door, action: str, person: User, changes: dict | None = None) -> None:
    """An event about a person's own login: in their organisation's activity log if they are a contact,
    internal for a member of staff."""
    organisation_id = Contact.objects.filter(user=person).values_list("organisation_id", flat=True).first()
    record(
        actor=actor,
        door=door,
        action=action,
        target=person,
        organisation_id=organisation_id,
        changes=changes,
        internal=organisation_id is None,
    )


@transaction.atomic
def language_choose(*, actor: User, door: Door, user: User, language: str) -> User:
    """The language switcher, signed in: the language chosen becomes the person's own (their profile's), so
    their next sign-in, in any browser, and their mail follow it. An unchanged language writes nothing."""
    if actor.pk != user.pk or not may_act(actor):
        _deny("You can only change your own profile.")
    row = User.objects.select_for_update().get(pk=user.pk)
    if row.language == language:
        return row
    row.language = language
    row.full_clean(exclude=[f.name for f in User._meta.fields if f.name != "language"])
    row.save(update_fields=["language"])
    user.language = language
    _audit_person(actor, door, "profile.changed", row, {"language": language})
    return row
