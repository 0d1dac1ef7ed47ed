"""Every change to a ticket is recorded: who, when, what, through which door."""

from guichet.audit.models import AuditEvent
from guichet.tickets.models import Ticket


def test_every_change_through_the_api_is_in_the_audit_trail(world, as_user):
    carla, alice, sue = as_user(world.customer), as_user(world.agent), as_user(world.supervisor)
    ref = carla.post("/tickets", {"subject": "Q", "description": "?"}).json()["reference"]
    alice.post(f"/tickets/{ref}/replies", {"body": "Hello"})
    alice.post(f"/tickets/{ref}/notes", {"body": "psst"})
    v = sue.get(f"/tickets/{ref}").json()["version"]
    sue.patch(f"/tickets/{ref}", {"version": v, "priority": "high", "assignee_id": world.agent.pk})
    ticket = Ticket.objects.get(reference=ref)
    events = list(
        AuditEvent.objects.filter(target_type="tickets.ticket", target_id=ticket.pk).order_by("at", "id")
    )
    assert [(e.action, e.actor.username, e.door) for e in events] == [
        ("ticket.created", "carla", "api"),
        ("ticket.replied", "alice", "api"),
        ("ticket.note_added", "alice", "api"),
        ("ticket.changed", "sue", "api"),
    ]
    change = events[-1].changes
    assert change["priority"] == ["medium", "high"] and change["assignee"] == [None, world.agent.pk]
    assert events[2].internal and not events[1].internal
    assert all(e.organisation_id == world.org.pk for e in events)


def test_imports_are_recorded_at_their_own_instants_through_the_import_door(world, as_user):
    admin = as_user(world.admin, can_import=True)
    body = {
        "subject": "Old ticket",
        "description": "from the old helpdesk",
        "organisation_id": world.org.pk,
        "requester_id": world.customer.pk,
        "opened_at": "2026-03-02T09:00:00+01:00",
    }
    ref = admin.post("/tickets", body).json()["reference"]
    assert ref.startswith("GT-2026-")
    event = AuditEvent.objects.get(action="ticket.created")
    assert (event.door, event.at.isoformat()) == ("import", "2026-03-02T08:00:00+00:00")


def test_the_admin_shows_tickets_but_cannot_change_them(world, client):
    client.force_login(world.admin)
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    assert client.get("/admin/tickets/ticket/").status_code == 200
    assert client.get("/admin/tickets/ticket/add/").status_code == 403
