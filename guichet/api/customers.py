from __future__ import annotations

from django.db.models import QuerySet
from ninja import Router, Schema, Status
from pydantic import Field

from guichet.audit.models import Door
from guichet.customers.models import Contact, Organisation, User
from guichet.customers.permissions import is_customer
from guichet.customers.selectors import acting_contact, may_act
from guichet.customers.services import contact_create
from guichet.errors import NotFound, ValidationError
from guichet.plans.services import organisation_open
from guichet.tickets.services import quota_usage

from .types import Id

router = Router(tags=["organisations"])


def organisations_visible_to(user: User) -> QuerySet[Organisation]:
    qs = Organisation.objects.select_related("account_manager", "plan_assignment__plan")
    if not may_act(user):
        return qs.none()
    if is_customer(user):
        contact = acting_contact(user)
        return qs.filter(pk=contact.organisation_id) if contact else qs.none()
    return qs


def _organisation(user: User, org_id: int) -> Organisation:
    org = organisations_visible_to(user).filter(pk=org_id).first()
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    return org


class PersonOut(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj):
        return obj.display_name


class OrganisationOut(Schema):
    id: int
    name: str
    slug: str
    account_manager: PersonOut | None
    plan: str | None

    @staticmethod
    def resolve_plan(obj):
        assignment = getattr(obj, "plan_assignment", None)
        return assignment.plan.code if assignment else None


class OrganisationIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")
    plan: str
    account_manager_id: Id | None = None


class ContactOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    roles: list[str]
    phone: str
    language: str
    time_zone: str

    @staticmethod
    def resolve_email(obj):
        return obj.user.email

    @staticmethod
    def resolve_first_name(obj):
        return obj.user.first_name

    @staticmethod
    def resolve_last_name(obj):
        return obj.user.last_name

    @staticmethod
    def resolve_language(obj):
        return obj.user.language

    @staticmethod
    def resolve_time_zone(obj):
        return obj.user.time_zone


class ContactIn(Schema):
    email: str = Field(min_length=3, max_length=150, pattern=r"^[^@\s]+@[^@\s]+$")
    first_name: str = ""
    last_name: str = ""
    roles: list[str] = ["technical"]
    phone: str = ""
    language: str = Field("", description='"en", "fr", or "" (not chosen: the organisation\'s in mail)')
    time_zone: str = "UTC"


@router.get("/organisations", response=list[OrganisationOut], summary="Organisations you can see")
def list_organisations(request):
    return list(organisations_visible_to(request.user))


@router.get("/organisations/{org_id}", response=OrganisationOut, summary="One organisation")
def get_organisation(request, org_id: Id):
    return _organisation(request.user, org_id)


@router.post("/organisations", response={201: OrganisationOut}, summary="Create an organisation (staff)")
def create_organisation(request, payload: OrganisationIn):
    manager = None
    if payload.account_manager_id is not None:
        manager = User.objects.filter(pk=payload.account_manager_id).first()
        if manager is None:
            raise ValidationError({"account_manager_id": "No such user."})
    org = organisation_open(
        actor=request.user,
        door=Door.API,
        name=payload.name,
        slug=payload.slug,
        plan=payload.plan,
        account_manager=manager,
    )
    return Status(201, organisations_visible_to(request.user).get(pk=org.pk))


@router.get(
    "/organisations/{org_id}/contacts", response=list[ContactOut], summary="An organisation's contacts"
)
def list_contacts(request, org_id: Id):
    org = _organisation(request.user, org_id)
    return list(Contact.objects.filter(organisation=org, is_active=True).select_related("user"))


@router.post("/organisations/{org_id}/contacts", response={201: ContactOut}, summary="Add a contact")
def create_contact(request, org_id: Id, payload: ContactIn):
    org = _organisation(request.user, org_id)
    contact = contact_create(actor=request.user, door=Door.API, organisation=org, **payload.dict())
    return Status(201, contact)


class QuotaOut(Schema):
    quota: int | None
    used: int
    remaining: int | None
    policy: str


@router.get("/organisations/{org_id}/quota", response=QuotaOut, summary="This month's ticket quota and usage")
def quota(request, org_id: Id):
    return quota_usage(_organisation(request.user, org_id))


class MeOut(Schema):
    id: int
    username: str
    name: str
    kind: str
    language: str
    time_zone: str
    organisation_id: int | None
    roles: list[str]
    teams: list[str]


@router.get("/me", response=MeOut, summary="Who you are")
def me(request):
    user: User = request.user
    contact = getattr(user, "contact", None)
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.display_name,
        "kind": user.kind,
        "language": user.language,
        "time_zone": user.time_zone,
        "organisation_id": contact.organisation_id if contact else None,
        "roles": contact.roles if contact else [],
        "teams": list(user.teams.values_list("name", flat=True)),
    }
