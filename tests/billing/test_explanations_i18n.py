"""Explanations are stored as terms and worded when read, in the reader's language: the API follows
Accept-Language, a row from before the terms reads as it was written, a language the site lacks reads in
English."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guichet.billing import explain
from guichet.billing.models import Claim
from guichet.i18n import reading, site_language
from tests.contracts.factories import SubscriptionFactory
from tests.helpers import declare_outage, open_incident

LU = ZoneInfo("Europe/Luxembourg")
FILING = datetime(2026, 12, 3, 10, tzinfo=LU)
TIMES = "\N{MULTIPLICATION SIGN}"


def at(day, hour):
    return datetime(2026, 11, day, hour, tzinfo=LU)


@pytest.fixture
def filed(world, as_user):
    line = SubscriptionFactory(organisation=world.org, identifier="+352 20 00 0001")  # Office: 20 %/h
    with time_machine.travel(at(3, 10) + timedelta(minutes=5), tick=False):
        ticket = open_incident(world, "No calls")
    with time_machine.travel(FILING - timedelta(days=20), tick=False):
        declare_outage(world, line, at(3, 10), at(3, 12))
    carla = as_user(world.customer)
    with time_machine.travel(FILING, tick=False):
        response = carla.post(
            "/claims",
            {
                "subscription_id": line.pk,
                "customer_name": "Acme Telecom",
                "customer_contact": "carla@example.com",
                "outage_start": "2026-11-03T09:00:00+01:00",
                "outage_end": "2026-11-03T13:00:00+01:00",
                "ticket": ticket.reference,
                "description": "No calls on the SIP trunk",
            },
        )
    assert response.status_code == 201
    return carla, response.json()["id"]


def test_a_claims_computation_comes_back_in_french_with_accept_language_fr(filed):
    carla, pk = filed
    french = carla.client.get(f"/api/v1/claims/{pk}", HTTP_ACCEPT_LANGUAGE="fr", **carla._h())
    assert french.status_code == 200
    assert french["Content-Language"] == "fr"
    assert french.json()["computation"] == (
        f"Les relevés confirment 2 h 00 min de la période réclamée. "
        f"20 % de 100.00 EUR par heure {TIMES} 2 h 00 min = 40.00 EUR"
    )
    english = carla.client.get(f"/api/v1/claims/{pk}", HTTP_ACCEPT_LANGUAGE="en", **carla._h())
    assert english.json()["computation"] == (
        f"The records confirm 2 h 00 min of the claimed time. "
        f"20 % of 100.00 EUR per hour {TIMES} 2 h 00 min = 40.00 EUR"
    )


def test_the_computation_is_stored_as_terms_not_sentences(filed):
    claim = Claim.objects.get(pk=filed[1])
    assert [part["code"] for part in claim.computation_terms] == ["confirmed", "downtime_credit"]
    assert claim.computation_terms[1]["terms"]["amount"] == "40.00"
    assert claim.computation_in("fr").startswith("Les relevés confirment")


def test_a_language_the_site_lacks_reads_in_english(filed):
    claim = Claim.objects.get(pk=filed[1])
    assert site_language("de") == site_language("FR") == site_language(None) == "en"
    assert claim.computation_in("de") == claim.computation_in("en") == claim.computation


def test_a_text_from_before_the_terms_reads_as_it_was_written():
    parts = [explain.text("Computed by hand.", fr="Calculé à la main.")]
    with reading("fr"):
        assert explain.words(parts) == "Calculé à la main."
    with reading("en"):
        assert explain.words(parts) == "Computed by hand."
    claim = Claim(computation="Only in English.")
    assert claim.computation_fr == claim.computation == "Only in English."
