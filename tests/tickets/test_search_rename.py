"""Search follows renames (guichet.customers.services.organisation_rename, user_rename): the tickets that
show an organisation's or a person's name are indexed again by a task, enqueued with the rename and only
when a name the index holds changed; the Django admin renames through the same services."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import MultiWidget
from django_tasks_db.models import DBTaskResult

from guichet.audit.models import AuditEvent, Door
from guichet.customers.models import Organisation, User
from guichet.customers.services import organisation_rename, user_rename
from guichet.tickets import search, services
from guichet.tickets.models import Ticket
from guichet.tickets.tasks import search_reindex

pytestmark = pytest.mark.django_db


def open_ticket(world, subject, *, org=None, requester=None):
    org = org or world.org
    return services.ticket_create(
        actor=world.supervisor,
        door="api",
        organisation=org,
        requester=requester or (world.foreigner if org == world.other_org else world.customer),
        subject=subject,
        description="Rien ne va plus",
    )


def found(user, text):
    return [Ticket.objects.get(pk=pk).reference for pk in search.search_page(user, text).ids]


def queued() -> list[dict]:
    """The keyword arguments of the queued re-indexing tasks, oldest first."""
    rows = DBTaskResult.objects.filter(task_path__endswith="search_reindex").order_by("enqueued_at")
    return [row.args_kwargs["kwargs"] for row in rows]


def run_queued() -> int:
    """Run the queued re-indexing tasks as a worker would; returns how many tickets they indexed."""
    indexed = sum(search_reindex.call(**kwargs) for kwargs in queued())
    DBTaskResult.objects.filter(task_path__endswith="search_reindex").delete()
    return indexed


def test_a_renamed_organisation_is_found_by_its_new_name_once_the_task_ran(world):
    a, b = open_ticket(world, "Imprimante"), open_ticket(world, "Scanner")
    other = open_ticket(world, "Fax", org=world.other_org)
    organisation_rename(actor=world.supervisor, door=Door.API, organisation=world.org, name="Initech")
    assert queued() == [{"organisation_id": world.org.pk}]
    assert found(world.supervisor, "initech ") == []  # the index follows when the task runs
    assert run_queued() == 2
    assert sorted(found(world.supervisor, "initech ")) == sorted([a.reference, b.reference])
    assert found(world.supervisor, "acme ") == []
    assert found(world.supervisor, "globex ") == [other.reference]  # another organisation's untouched
    assert sorted(found(world.customer, "initech ")) == sorted([a.reference, b.reference])
    event = AuditEvent.objects.get(action="organisation.renamed")
    assert event.changes == {"name": "Initech", "previous": "Acme"}


def test_a_renamed_contact_is_found_as_requester_and_as_watcher(world):
    asked = open_ticket(world, "Badge")
    watched = open_ticket(world, "Parking", requester=world.colleague)
    services.ticket_watch(actor=world.supervisor, door="api", ticket=watched, user=world.customer)
    user_rename(
        actor=world.supervisor, door=Door.API, user=world.customer, first_name="Carla", last_name="Mendès"
    )
    user_rename(
        actor=world.supervisor, door=Door.API, user=world.customer, first_name="Carla", last_name="Moreau"
    )
    assert queued() == [{"user_id": world.customer.pk}] * 2
    assert run_queued() == 4  # each task reads the name as it is when it runs
    assert sorted(found(world.supervisor, "moreau ")) == sorted([asked.reference, watched.reference])
    assert found(world.supervisor, "mendes ") == []
    assert found(world.supervisor, "carla ") != []
    world.customer.refresh_from_db()
    assert (world.customer.first_name, world.customer.last_name) == ("Carla", "Moreau")


def test_a_person_without_a_name_is_indexed_by_login_and_a_new_login_reindexes(world):
    t = open_ticket(world, "Wifi")
    assert found(world.supervisor, "carla ") == [t.reference]  # the requester's login, no name given
    user_rename(
        actor=world.admin, door=Door.API, user=world.customer, first_name="", last_name="", username="cmendes"
    )
    assert run_queued() == 1
    assert found(world.supervisor, "cmendes ") == [t.reference]
    assert found(world.supervisor, "carla ") == []


def test_no_task_when_nothing_the_index_holds_changed(world):
    open_ticket(world, "Routeur")
    organisation_rename(actor=world.supervisor, door=Door.API, organisation=world.org, name=" Acme ")
    user_rename(actor=world.supervisor, door=Door.API, user=world.customer, first_name="", last_name="")
    assert queued() == []
    assert not AuditEvent.objects.filter(action__in=["organisation.renamed", "user.renamed"]).exists()
    # A new login beside a full name: audited, but the index shows the full name, not the login.
    user_rename(actor=world.supervisor, door=Door.API, user=world.colleague, first_name="Colin", last_name="")
    run_queued()
    user_rename(
        actor=world.supervisor,
        door=Door.API,
        user=world.colleague,
        first_name="Colin",
        last_name="",
        username="c2",
    )
    assert queued() == []
    assert AuditEvent.objects.filter(action="user.renamed").count() == 2


def test_a_rename_that_rolls_back_leaves_no_task(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        organisation_rename(actor=world.supervisor, door=Door.API, organisation=world.org, name="Initech")
        raise RuntimeError
    assert queued() == []
    assert Organisation.objects.get(pk=world.org.pk).name == "Acme"


def test_only_those_who_manage_organisations_rename(world):
    for actor in (world.agent, world.customer):
        with pytest.raises(PermissionDenied):
            organisation_rename(actor=actor, door=Door.API, organisation=world.org, name="Initech")
        with pytest.raises(PermissionDenied):
            user_rename(actor=actor, door=Door.API, user=world.colleague, first_name="X", last_name="Y")
    assert queued() == []


def test_the_task_indexes_by_batches_each_in_its_transaction(world, django_assert_max_num_queries):
    tickets = [open_ticket(world, f"Borne {i}") for i in range(5)]
    Organisation.objects.filter(pk=world.org.pk).update(name="Umbrella")  # as a bulk load would
    # The ids, then per batch of two: its transaction (a savepoint in the test's), delete and insert.
    with django_assert_max_num_queries(1 + 3 * 4):
        assert search.reindex_named(organisation_id=world.org.pk, batch=2) == 5
    assert sorted(found(world.supervisor, "umbrella ")) == sorted(t.reference for t in tickets)


def admin_form(client, url) -> dict:
    """What the admin's change page at ``url`` sends back unchanged: its form and its inlines' forms."""
    response = client.get(url)
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value, widget = form[name].value(), form.fields[name].widget
            values = widget.decompress(value) if isinstance(widget, MultiWidget) else [value]
            for i, part in enumerate(values):
                key = form.add_prefix(name) + (f"_{i}" if len(values) > 1 else "")
                if part is not None and part is not False:
                    data[key] = "on" if part is True else part
    return data


def test_the_admin_renames_through_the_services(world, client):
    t = open_ticket(world, "Standard")
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    org_url = f"/admin/customers/organisation/{world.org.pk}/change/"
    assert client.post(org_url, {**admin_form(client, org_url), "name": "Initech"}).status_code == 302
    user_url = f"/admin/customers/user/{world.customer.pk}/change/"
    form = admin_form(client, user_url)
    assert client.post(user_url, {**form, "first_name": "Carla", "last_name": "Moreau"}).status_code == 302
    assert queued() == [{"organisation_id": world.org.pk}, {"user_id": world.customer.pk}]
    events = AuditEvent.objects.filter(door=Door.ADMIN).values_list("action", flat=True)
    assert sorted(events) == ["organisation.renamed", "user.renamed"]
    run_queued()
    assert found(world.supervisor, "initech moreau ") == [t.reference]
    # Saved again with the same names (another field changed): nothing to index.
    response = client.post(user_url, {**admin_form(client, user_url), "email": "carla@acme.example"})
    assert response.status_code == 302
    assert User.objects.get(pk=world.customer.pk).email == "carla@acme.example"
    assert queued() == []
