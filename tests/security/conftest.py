import pytest

from guichet.tickets import services as tickets


@pytest.fixture
def ticket(world):
    """One ticket of Carla's organisation, opened by her."""
    return tickets.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Phones",
        description="dead",
    )
