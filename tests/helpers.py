"""Small helpers shared by tests: ports for real servers, tickets and outages as the services make them."""

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (at the time of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_incident(world, description: str = "x"):
    """Carla opens an incident "Trunk down" for her organisation, through the API door, now."""
    from guichet.tickets import services

    return services.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Trunk down",
        description=description,
        category="incident",
    )


def declare_outage(world, line, started_at, ended_at, **kw):
    """The NOC declares an outage "Down" of one subscription between two instants."""
    from guichet.availability import services as availability

    return availability.outage_declare(
        actor=world.noc_agent,
        door="api",
        subscriptions=[line],
        started_at=started_at,
        ended_at=ended_at,
        title="Down",
        **kw,
    )


def signed_in(user):
    """A test client logged in as ``user`` (no password, no sign-in form)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def breach(ticket, clock: str) -> None:
    """The clock ``clock`` of ``ticket`` is breached, as the breach sweep writes it (escalation.breach): the
    clock's state and the ticket's flag, without the sweep's notices and audit."""
    from guichet.tickets.models import ClockState, Ticket

    ticket.clocks.filter(clock=clock).update(state=ClockState.BREACHED)
    Ticket.objects.filter(pk=ticket.pk).update(breached=True)
