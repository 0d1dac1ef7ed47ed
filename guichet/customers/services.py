"""Commands on people and organisations. Each runs in one transaction and writes the audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from guichet.audit.services import record

from .models import Contact, Organisation, Team, User


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
    language: str = "en",
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
    record(actor=None, door="system", action="organisation.created", target=org, organisation_id=org.pk)
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
        door="system",
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


STAFF_WHO_MANAGE_ORGANISATIONS = (User.Kind.SUPERVISOR, User.Kind.ADMIN, User.Kind.ACCOUNT_MANAGER)


def _deny(message: str):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied(message)


@transaction.atomic
def organisation_create(
    *, actor: User, door: str, name: str, slug: str, account_manager: User | None = None
) -> Organisation:
    from django.core.exceptions import ValidationError

    if actor.kind not in STAFF_WHO_MANAGE_ORGANISATIONS:
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
    door: str,
    organisation: Organisation,
    email: str,
    first_name: str = "",
    last_name: str = "",
    roles: Sequence[str] = ("technical",),
    phone: str = "",
    language: str = "en",
    time_zone: str = "UTC",
) -> Contact:
    """Add a contact to an organisation: by the organisation's admin contact, or by provider staff. The
    contact gets a login without a password (set through a reset link, or used for mail only)."""
    from django.core.exceptions import ValidationError

    if actor.kind == User.Kind.CUSTOMER:
        own = getattr(actor, "contact", None)
        if own is None or own.organisation_id != organisation.pk:
            _deny("You can only manage your own organisation's contacts.")
        if not own.has_role("admin"):
            _deny("Only the organisation's admin contact manages contacts.")
    email = email.strip().lower()
    if User.objects.filter(username=email).exists():
        raise ValidationError({"email": f"{email} already has a login."})
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
    return contact
