"""The extranet in words for people (issue 16): the activity log as sentences, durations in hours and
minutes, "1 ticket" and "2 tickets", refusals that name the field by its label beside it — in English and
in French."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guichet.contracts import services as contracts
from tests.contracts.factories import ServiceFactory, SubscriptionFactory
from tests.helpers import declare_outage, open_incident

LU = ZoneInfo("Europe/Luxembourg")
DEC_3 = datetime(2026, 12, 3, 10, tzinfo=LU)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(DEC_3, tick=False) as traveller:
        yield traveller


def reader(user, language="en"):
    user.time_zone, user.language = "Europe/Luxembourg", language
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def line(world):
    return SubscriptionFactory(
        organisation=world.org,
        service=ServiceFactory(code="mobile-line", name="Mobile line"),
        identifier="+352 621 123 456",
    )


def test_the_activity_log_says_each_act_as_a_sentence_in_the_readers_language(world, line):
    contracts.subscription_suspend(actor=world.customer, door="web", subscription=line, reason="loss")
    english = reader(world.customer).get("/extranet/activity/").text
    assert "carla suspended Mobile line +352 621 123 456: the device was lost" in english
    assert "subscription.suspended" not in english
    french = reader(world.customer, "fr").get("/extranet/activity/").text
    assert "carla a suspendu Mobile line +352 621 123 456 : l&#x27;appareil a été perdu" in french
    assert "subscription.suspended" not in french


def test_the_service_page_says_how_long_it_was_down_in_hours_and_minutes(world, line):
    declare_outage(world, line, datetime(2026, 12, 1, 9, tzinfo=LU), datetime(2026, 12, 1, 11, 15, tzinfo=LU))
    english = reader(world.customer).get(f"/extranet/services/{line.pk}/").text
    assert "<td>2 h 15 min</td>" in english and "8100 s" not in english
    french = reader(world.customer, "fr").get(f"/extranet/services/{line.pk}/").text
    assert "<td>2 h 15 min</td>" in french and "<td>0 min</td>" in french  # a month without downtime
    assert "<td>décembre 2026</td>" in french and "<td>December 2026</td>" in english  # months by name


def test_the_ticket_form_counts_the_months_tickets_with_the_nouns_plural(world):
    plan = world.use_plan("office")
    plan.monthly_ticket_quota = 5
    plan.save(update_fields=["monthly_ticket_quota"])
    open_incident(world)
    english = reader(world.customer).get("/extranet/tickets/new").text
    assert "1 ticket opened this month, out of the 5 your plan allows." in english
    open_incident(world)
    assert (
        "2 tickets opened this month, out of the 5 your plan allows."
        in reader(world.customer).get("/extranet/tickets/new").text
    )
    french = reader(world.customer, "fr").get("/extranet/tickets/new").text
    assert "2 tickets ouverts ce mois-ci, sur les 5 que permet votre plan de support." in french


def test_a_claim_refused_names_each_field_by_its_label_and_says_it_beside_the_field(world, line):
    ticket = open_incident(world)
    body = {
        "subscription_id": line.pk,
        "ticket": ticket.reference,
        "outage_start": "2026-11-03T13:00",
        "outage_end": "2026-11-03T09:00",  # before the start
        "description": "No calls",
        "customer_name": "Acme",
        "customer_contact": "carla@example.com",
    }
    english = reader(world.customer).post("/extranet/claims/new", body)
    assert english.status_code == 400
    page = english.text
    assert "End of the outage: The outage&#x27;s end must come after its start." in page  # the summary
    assert 'aria-describedby="id_end-error"' in page
    assert '<p class="error" id="id_end-error">The outage&#x27;s end must come after its start.</p>' in page
    assert "outage_end" not in page.replace('name="outage_end"', "")  # never the field's code
    french = reader(world.customer, "fr").post("/extranet/claims/new", body).text
    assert "Fin de l&#x27;interruption : La fin de l&#x27;interruption doit venir après son début." in french
    assert (
        '<p class="error" id="id_end-error">La fin de l&#x27;interruption doit venir après son début.</p>'
        in (french)
    )
    assert "Les réclamations sont acceptées pendant les 7 premiers jours du mois" in french


def test_the_ticket_form_names_a_refused_field_by_its_label_in_french_too(world):
    sent = reader(world.customer, "fr").post(
        "/extranet/tickets/new", {"subject": "Plus de tonalité", "description": "x", "subscription_id": "-1"}
    )
    assert sent.status_code == 400
    assert "Service concerné : Choisissez l&#x27;un de vos services." in sent.text
    assert "subscription_id:" not in sent.text and "subscription_id :" not in sent.text
