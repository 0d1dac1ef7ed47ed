"""The migrations to stored terms keep what rows from before said: a claim's and a credit's two texts become a
``text`` part (said in English or French as written); a termination request gets its terms back when they
compute to the same last day, and keeps its texts otherwise."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from guichet.billing.models import Claim, Credit
from guichet.contracts.models import TerminationRequest
from guichet.money.terms import earliest_termination
from tests.contracts.factories import SubscriptionFactory
from tests.helpers import open_incident

LU = ZoneInfo("Europe/Luxembourg")
BEFORE = [("billing", "0006_ordering_ties_broken_by_id"), ("contracts", "0003_ordering_ties_broken_by_id")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_rows_from_before_the_terms_keep_what_they_said(world):
    line = SubscriptionFactory(
        organisation=world.org, identifier="+352 20 00 0001", start_date=date(2026, 1, 15)
    )
    ticket = open_incident(world, "No calls")
    apps = migrate(BEFORE)
    try:
        old_claim = apps.get_model("billing", "Claim").objects.create(
            organisation_id=world.org.pk,
            subscription_id=line.pk,
            ticket_id=ticket.pk,
            kind="downtime",
            year=2026,
            month=11,
            customer_name="Acme",
            customer_contact="carla@example.com",
            outage_start=datetime(2026, 11, 3, 9, tzinfo=LU),
            outage_end=datetime(2026, 11, 3, 13, tzinfo=LU),
            description="No calls",
            filed_by_id=world.customer.pk,
            filed_at=datetime(2026, 12, 3, 10, tzinfo=LU),
            door="api",
            verified_seconds=7200,
            proposed_amount=Decimal("40.00"),
            currency="EUR",
            computation="The records confirm 2 h 00 min of the claimed time.",
            computation_fr="Les relevés confirment 2 h 00 min de la période réclamée.",
        )
        apps.get_model("billing", "Credit").objects.create(
            organisation_id=world.org.pk,
            subscription_id=line.pk,
            claim_id=old_claim.pk,
            kind="downtime",
            year=2026,
            month=11,
            amount=Decimal("40.00"),
            currency="EUR",
            explanation="Only in English.",
            created_at=datetime(2026, 12, 4, 10, tzinfo=LU),
        )
        expected = earliest_termination(
            start=line.start_date,
            requested_on=date(2026, 12, 20),
            commitment_months=line.commitment_months,
            renewal_months=line.renewal_months,
            notice_days=line.notice_days,
        )
        requests = apps.get_model("contracts", "TerminationRequest").objects
        common = {"subscription_id": line.pk, "requested_by_id": world.customer.pk, "door": "web"}
        same = requests.create(
            **common,
            requested_at=datetime(2026, 12, 20, 10, tzinfo=LU),
            requested_on=date(2026, 12, 20),
            last_day=expected.last_day,
            explanation="old words",
            explanation_fr="anciens mots",
        )
        other = requests.create(
            **common,
            requested_at=datetime(2026, 6, 1, 10, tzinfo=LU),
            requested_on=date(2026, 6, 1),
            last_day=date(2026, 12, 31),  # not what the terms give: its texts stay
            explanation="Ends at the year's end.",
            explanation_fr="Fin à la fin de l'année.",
            withdrawn_at=datetime(2026, 6, 2, 10, tzinfo=LU),
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    claim = Claim.objects.get(pk=old_claim.pk)
    assert claim.computation == "The records confirm 2 h 00 min of the claimed time."
    assert claim.computation_fr == "Les relevés confirment 2 h 00 min de la période réclamée."
    credit = Credit.objects.get()
    assert credit.explanation == credit.explanation_fr == "Only in English."
    kept = TerminationRequest.objects.get(pk=same.pk)
    assert kept.explanation_terms["code"] == "termination"
    assert kept.explanation.startswith("Started 2026-01-15") and kept.explanation_fr.startswith("Contrat")
    texts = TerminationRequest.objects.get(pk=other.pk)
    assert (texts.explanation, texts.explanation_fr) == (
        "Ends at the year's end.",
        "Fin à la fin de l'année.",
    )
