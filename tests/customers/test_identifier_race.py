"""Two contacts given the same new number at the same time, in two organisations: the second waits for the
first's transaction, then is refused. (PostgreSQL: SQLite serialises its writers already.)"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from guichet.customers import services
from guichet.customers.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)
NUMBER = "+352 621 777 888"


def test_the_same_new_number_given_twice_at_once_is_refused_the_second_time(world):
    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need a database server (CI's PostgreSQL pass)")
    checked, commit, outcome = threading.Event(), threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                services.contact_create(
                    actor=world.supervisor,
                    door="api",
                    organisation=world.org,
                    email="a@acme.example",
                    phone=NUMBER,
                )
                checked.set()
                commit.wait(30)
        finally:
            connections.close_all()

    def second():
        try:
            services.contact_create(
                actor=world.supervisor,
                door="api",
                organisation=world.other_org,
                email="b@globex.example",
                phone=NUMBER,
            )
            outcome["second"] = "created"
        except ValidationError as exc:
            outcome["second"] = sorted(exc.message_dict)
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert checked.wait(30)
    b = threading.Thread(target=second)
    b.start()
    b.join(3)  # it cannot finish while the first holds the number: whatever the timing, the end is the same
    commit.set()
    a.join(30)
    b.join(30)
    assert outcome == {"second": ["phone"]}
    assert Contact.objects.filter(phone_digits="352621777888").count() == 1
