"""Who may do what, by the kind of user: the role predicates every door, selector and service asks.

A person's *kind* (customer contact, agent, supervisor, billing staff, account manager, admin) decides which
doors and commands are theirs; a contact's *roles* (admin, technical, billing) decide what it may do for its
organisation (``MONEY_ROLES`` below, ``selectors.contact_holds``). Whether a person may act *now* (an active
login, an active contact of an active organisation) is ``selectors.may_act``; the predicates here say only
what their kind allows, so every door gives the same answer. docs/architecture.md has the table.
"""

from __future__ import annotations

from .models import ContactRole, Team, User

Kind = User.Kind

# The contact roles that commit the organisation to pay and read what it is billed: accepting or refusing a
# quote; invoices, credit notes and credits.
MONEY_ROLES = (ContactRole.ADMIN, ContactRole.BILLING)

# Supervisors and admins see and may change everything.
OVERSEERS = (Kind.SUPERVISOR, Kind.ADMIN)
# Who decides a customer's claim for a credit.
CLAIM_DECIDERS = (Kind.ACCOUNT_MANAGER, Kind.SUPERVISOR, Kind.ADMIN)
# Who issues invoices and credit notes.
BILLING_STAFF = (Kind.BILLING, Kind.SUPERVISOR, Kind.ADMIN)
# Who sells and changes contracts: subscriptions, fees, milestones.
COMMERCIAL_STAFF = (Kind.ACCOUNT_MANAGER, Kind.BILLING, Kind.SUPERVISOR, Kind.ADMIN)
# Who creates organisations and their contacts, and sees the supervisors' dashboard.
ORGANISATION_MANAGERS = (Kind.SUPERVISOR, Kind.ADMIN, Kind.ACCOUNT_MANAGER)


def is_customer(user: User) -> bool:
    """A customer contact's login (the extranet and the customer's side of every door)."""
    return user.kind == Kind.CUSTOMER


def is_provider_staff(user: User) -> bool:
    """Any member of the provider's staff (the console, internal notes, every organisation in scope)."""
    return user.kind != Kind.CUSTOMER


def is_admin(user: User) -> bool:
    return user.kind == Kind.ADMIN


def is_account_manager(user: User) -> bool:
    return user.kind == Kind.ACCOUNT_MANAGER


def sees_everything(user: User) -> bool:
    """Supervisors and admins: every organisation's tickets, not only their teams' and assignments."""
    return user.kind in OVERSEERS


def may_see_internal(user: User) -> bool:
    """Internal notes and internal audit events are for the provider's staff only."""
    return is_provider_staff(user)


def may_decide_claims(user: User) -> bool:
    return user.kind in CLAIM_DECIDERS


def may_bill(user: User) -> bool:
    return user.kind in BILLING_STAFF


def may_sell(user: User) -> bool:
    return user.kind in COMMERCIAL_STAFF


def may_manage_organisations(user: User) -> bool:
    return user.kind in ORGANISATION_MANAGERS


def may_rename(user: User) -> bool:
    """Organisations and people are renamed by those who create them, and by the admin's superusers (the
    Django admin's own permissions decide who reaches its pages)."""
    return may_manage_organisations(user) or user.is_superuser


def may_see_dashboard(user: User) -> bool:
    """The supervisors' dashboard (/console/dashboard/): the view refuses the others, and the navigation does
    not offer them the link."""
    return bool(user.is_authenticated and user.kind in ORGANISATION_MANAGERS)


# Who handles the mail the channels held or put in triage, and replays dead letters: the support desk.
MAIL_HANDLERS = (Kind.AGENT, Kind.SUPERVISOR, Kind.ADMIN)


def may_declare_outages(user: User) -> bool:
    """Declare, change, end an outage and announce a maintenance: the network operations team (agents of a
    NOC team), supervisors and admins. An outage is downtime the customers are credited for, and an
    announcement mails every affected contact: not for the support desk or billing staff."""
    if not user.is_authenticated:
        return False
    if user.kind in OVERSEERS:
        return True
    return user.kind == Kind.AGENT and user.teams.filter(kind=Team.Kind.NOC).exists()


def may_handle_mail(user: User) -> bool:
    """Turn held or triaged mail into a ticket or a reply, drop it, replay a dead letter: the support desk
    (agents), supervisors and admins. Billing staff and account managers do not answer mail for them."""
    return bool(user.is_authenticated and user.kind in MAIL_HANDLERS)
