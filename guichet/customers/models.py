"""People and organisations: client companies, their contacts, the provider's staff and teams, API tokens.

Every person is a ``User`` (one identity for the web, the API and, later, mail). A customer contact is a
User with a ``Contact`` profile tying it to its organisation; the provider's staff are Users whose ``kind``
says what they do, grouped in ``Team``s.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.text.safe import neutralised

from .validators import validate_contact_roles, validate_time_zone


class User(AbstractUser):
    """A login: a customer contact or a member of the provider's staff."""

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        FRENCH = "fr", "Français"

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer contact")
        AGENT = "agent", _("Agent")
        SUPERVISOR = "supervisor", _("Supervisor")
        BILLING = "billing", _("Billing staff")
        ACCOUNT_MANAGER = "account_manager", _("Account manager")
        ADMIN = "admin", _("Administrator")

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CUSTOMER)
    # Blank: not chosen. Pages then follow the browser, else the organisation's language; mail, which has no
    # browser, the organisation's (``guichet.formats.reader_language``). A chosen language wins over both.
    language = models.CharField(
        max_length=2,
        choices=[("", _("Not chosen")), *Language.choices],
        blank=True,
        default="",
        help_text="Blank: the browser's language on pages, else the organisation's (always so for mail).",
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA zone used to show dates",
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # the stubs leave out AbstractUser.Meta
        swappable = "AUTH_USER_MODEL"

    @property
    def is_provider_staff(self) -> bool:
        return self.kind != self.Kind.CUSTOMER

    @property
    def organisation_language(self) -> str:
        """The language of the person's organisation, "" for staff and logins without one: what they read when
        they chose none and no browser says. The session's user comes with its contact and organisation
        (``signin.LimitedModelBackend.get_user``), so a page asks no query for it."""
        if self.is_provider_staff:
            return ""
        contact = getattr(self, "contact", None)  # a login without a Contact row has none
        return contact.organisation.language if contact is not None else ""

    @property
    def display_name(self) -> str:
        """The name pages and mail show: bidi overrides and control characters typed into it neutralised."""
        return neutralised(self.get_full_name()) or self.username


class Organisation(models.Model):
    """A client company."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_organisations",
        limit_choices_to={"kind__in": ["account_manager", "supervisor", "admin"]},
        help_text="The key account manager: the customer's single point of contact.",
    )
    language = models.CharField(
        max_length=2,
        choices=User.Language.choices,
        default=User.Language.ENGLISH,
        help_text="What its contacts read when they chose no language of their own: their mail and PDFs, and "
        "pages their browser names no language of the site for.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ContactRole(models.TextChoices):
    ADMIN = "admin", _("Administrative contact")
    TECHNICAL = "technical", _("Technical contact")
    BILLING = "billing", _("Billing contact")


def phone_digits(number: str) -> str:
    """A phone number as the digits WhatsApp and phone systems give ("+352 621-12 34" -> "3526211234");
    a leading 00 is the international prefix."""
    digits = "".join(c for c in number if c.isdigit())
    return digits[2:] if digits.startswith("00") else digits


class Contact(models.Model):
    """A person of a client organisation: the customer side of a User."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contacts")
    roles = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_contact_roles],
        help_text="Any of: admin, technical, billing.",
    )
    phone = models.CharField(max_length=40, blank=True, help_text="International format: +352 621 123 456.")
    phone_digits = models.CharField(
        max_length=40, blank=True, db_index=True, editable=False, help_text="The phone's digits, for lookups."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation", "user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"{self.user.display_name} ({self.organisation})"

    def save(self, *args, **kwargs) -> None:
        self.phone_digits = phone_digits(self.phone)
        if kwargs.get("update_fields") is not None and "phone" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "phone_digits"}
        super().save(*args, **kwargs)

    def has_role(self, role: str) -> bool:
        return role in self.roles


class Team(models.Model):
    """A team of the provider: support, NOC or billing."""

    class Kind(models.TextChoices):
        SUPPORT = "support", _("Support")
        NOC = "noc", _("Network operations (NOC)")
        BILLING = "billing", _("Billing")

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_teams",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a hash is stored; the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    can_import = models.BooleanField(
        default=False, help_text="May create tickets with past instants (migration from another helpdesk)."
    )
    can_post_alerts = models.BooleanField(
        default=False,
        help_text="The monitoring system's token: may post Prometheus Alertmanager alerts, which open and "
        "end outages (and so count as downtime). No other token, even an admin's, may.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class BackOfficeRequest(models.Model):
    """A management act the provider's back office must take into account — a contact added or changed, a
    termination, a quote accepted — with its next-business-day target (002 §6.4: "pris en compte au maximum à
    J+1"), tracked like a clock until someone marks it done."""

    class Kind(models.TextChoices):
        CONTACT = "contact", _("Contact change")
        TERMINATION = "termination", _("Termination request")
        QUOTE = "quote", _("Quote decision")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="backoffice_requests"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    summary = models.CharField(max_length=300)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    door = models.CharField(max_length=10)
    due_at = models.DateTimeField(help_text="The next business day, at the same time.")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "requested_at"], name="backoffice_org"),
            models.Index(
                fields=["due_at"], condition=models.Q(done_at__isnull=True), name="backoffice_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary[:60]}"


class SignInFailure(models.Model):
    """A failed sign-in (wrong password, unknown or inactive user): what the sign-in limit counts
    (``customers.signin``). In the database, so every process and machine sees the same count; the oldest
    are forgotten as new ones come (GUICHET_LOGIN_FAILURE_RETENTION_DAYS)."""

    username = models.CharField(max_length=150, help_text="As typed, lower-cased.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()
    device = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="The device cookie's id if the browser had signed in as this user before, else empty.",
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["username", "at"], name="signin_failure_username"),
            models.Index(fields=["device", "at"], name="signin_failure_device"),
            models.Index(fields=["ip_address", "at"], name="signin_failure_ip"),
            models.Index(fields=["at"], name="signin_failure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip_address or '?'} at {self.at:%Y-%m-%d %H:%M:%S}"


class PasswordResetRequest(models.Model):
    """A request for a password reset link (``customers.reset``): counted per address typed and per client
    address, so that neither a mailbox nor our mail server's reputation can be flooded; the link itself is
    mailed by a task, whether or not an account has that address."""

    email = models.CharField(max_length=254, help_text="As typed, lower-cased.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()
    mailed = models.BooleanField(default=True, help_text="False: over the per-address limit, nothing sent.")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["email", "at"], name="reset_request_email"),
            models.Index(fields=["ip_address", "at"], name="reset_request_ip"),
            models.Index(fields=["at"], name="reset_request_at"),
        ]

    def __str__(self) -> str:
        return f"{self.email} from {self.ip_address or '?'} at {self.at:%Y-%m-%d %H:%M:%S}"
