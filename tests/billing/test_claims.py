"""SLA claims: the 7-day window, the parts a claim must carry, the check against the records, the credit
proposed by the plan's rate and cap, the account manager's decision and the mail that tells the customer."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from guichet.billing import claims as claim_services
from guichet.billing.models import Claim, Credit
from guichet.billing.tasks import send_claim_decision
from guichet.contracts import services as contracts
from guichet.customers.models import User
from guichet.errors import ValidationError
from guichet.plans.models import SlaPlan
from guichet.tickets import services as tickets
from guichet.tickets.models import Clock
from tests.contracts.factories import SubscriptionFactory
from tests.customers.factories import StaffFactory
from tests.helpers import declare_outage, open_incident

LU = ZoneInfo("Europe/Luxembourg")
FILING = datetime(2026, 12, 3, 10, tzinfo=LU)


def at(day, hour, minute=0, month=11, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=LU)


@pytest.fixture
def line(world):
    return SubscriptionFactory(
        organisation=world.org, identifier="+352 20 00 0001"
    )  # Office: 20 %/h, cap 50 %


@pytest.fixture
def ticket(world):
    with time_machine.travel(at(3, 10, 5), tick=False):
        return open_incident(world, "No calls")


@pytest.fixture
def manager(world):
    return StaffFactory(username="max", kind=User.Kind.ACCOUNT_MANAGER)


def outage(world, line, start, end, **kw):
    with time_machine.travel(FILING - timedelta(days=20), tick=False):
        return declare_outage(world, line, start, end, **kw)


def claim(carla, line, ticket, start="2026-11-03T09:00:00+01:00", end="2026-11-03T13:00:00+01:00", **extra):
    body = {
        "subscription_id": line.pk,
        "customer_name": "Acme Telecom",
        "customer_contact": "carla@example.com",
        "outage_start": start,
        "outage_end": end,
        "ticket": ticket.reference,
        "description": "No calls on the SIP trunk",
        **extra,
    }
    return carla.post("/claims", body)


def test_a_claim_is_checked_against_the_recorded_outages(world, line, ticket, as_user):
    outage(world, line, at(3, 10), at(3, 12))  # recorded: two hours of the four claimed
    with time_machine.travel(FILING, tick=False):
        response = claim(as_user(world.customer), line, ticket)
    assert response.status_code == 201
    body = response.json()
    assert (body["month"], body["status"], body["verified_seconds"], body["proposed_amount"]) == (
        "2026-11",
        "filed",
        7200,
        "40.00",
    )
    assert body["computation"] == (
        "The records confirm 2 h 00 min of the claimed time. "
        "20 % of 100.00 EUR per hour \N{MULTIPLICATION SIGN} 2 h 00 min = 40.00 EUR"
    )


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        (datetime(2026, 12, 7, 23, 59, 59, tzinfo=LU), True),
        (datetime(2026, 12, 8, 0, 0, tzinfo=LU), False),
        (datetime(2026, 12, 1, 0, 0, tzinfo=LU), True),
        (datetime(2026, 11, 30, 23, 59, tzinfo=LU), False),
    ],
)
def test_claims_are_accepted_only_in_the_first_seven_days_of_the_month(
    world, line, ticket, as_user, moment, accepted
):
    with time_machine.travel(moment, tick=False):
        response = claim(as_user(world.customer), line, ticket)
    if accepted:
        assert response.status_code == 201 and response.json()["month"] == "2026-11"
    else:
        assert response.status_code == 422
        assert response.json()["detail"] == [
            {
                "field": "filed_at",
                "message": "Claims are accepted during the first 7 days of a month (Europe/Luxembourg time), "
                "for the month before.",
            }
        ]


def test_a_january_claim_is_for_the_december_before(world, line, as_user):
    with time_machine.travel(at(15, 10, month=12), tick=False):
        december = tickets.ticket_create(
            actor=world.customer,
            door="api",
            organisation=world.org,
            requester=world.customer,
            subject="Down",
            description="x",
        )
    with time_machine.travel(datetime(2027, 1, 4, 9, tzinfo=LU), tick=False):
        response = claim(
            as_user(world.customer), line, december, "2026-12-15T10:00:00+01:00", "2026-12-15T11:00:00+01:00"
        )
    assert response.status_code == 201 and response.json()["month"] == "2026-12"


def test_each_missing_part_of_a_claim_gets_its_own_message(world, line, as_user):
    with time_machine.travel(FILING, tick=False):
        response = as_user(world.customer).post("/claims", {"subscription_id": line.pk})
    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in response.json()["detail"]} == {
        "customer_name": "Give the customer's name.",
        "customer_contact": "Give a contact (mail address or phone number) for the answer.",
        "outage_start": "Give the start of the outage.",
        "outage_end": "Give the end of the outage.",
        "ticket": "Give the number of the ticket of the outage.",
        "description": "Describe the outage briefly.",
    }
    assert Claim.objects.count() == 0


def test_a_claim_must_name_its_own_ticket_and_an_outage_in_the_month(world, line, ticket, as_user):
    with time_machine.travel(at(3, 10), tick=False):
        foreign = tickets.ticket_create(
            actor=world.foreigner,
            door="api",
            organisation=world.other_org,
            requester=world.foreigner,
            subject="Theirs",
            description="x",
        )
    carla = as_user(world.customer)
    with time_machine.travel(FILING, tick=False):
        theirs = claim(carla, line, foreign)
        assert theirs.json()["detail"][0] == {
            "field": "ticket",
            "message": f"{foreign.reference} is not a ticket of Acme.",
        }
        october = claim(carla, line, ticket, "2026-10-03T09:00:00+02:00", "2026-10-03T13:00:00+02:00")
        assert october.json()["detail"][0]["field"] == "outage_start"
        backwards = claim(carla, line, ticket, "2026-11-03T13:00:00+01:00", "2026-11-03T09:00:00+01:00")
        assert backwards.json()["detail"][0] == {
            "field": "outage_end",
            "message": "The outage's end must come after its start.",
        }
        assert claim(carla, line, ticket).status_code == 201
        twice = claim(carla, line, ticket)
        assert twice.status_code == 422 and "exists already" in twice.json()["detail"][0]["message"]
    assert as_user(world.foreigner).post("/claims", {"subscription_id": line.pk}).status_code == 404


def missed_guarantee(world, line):
    """Two hours down on November 12th, not claimed: November misses Office's 99.80 % (43 min allowed in a
    month of 720 h would be 86 min), so the claims below are owed a credit (policy 004)."""
    outage(world, line, at(12, 10), at(12, 12))


def test_only_the_claimed_months_part_of_an_outage_across_months_counts(world, line, ticket, as_user):
    missed_guarantee(world, line)
    outage(world, line, datetime(2026, 10, 31, 23, tzinfo=LU), at(1, 1))
    with time_machine.travel(FILING, tick=False):
        body = claim(
            as_user(world.customer), line, ticket, "2026-10-31T22:00:00+01:00", "2026-11-01T02:00:00+01:00"
        )
    assert body.json()["verified_seconds"] == 3600 and body.json()["proposed_amount"] == "20.00"


def test_maintenance_announced_in_time_is_not_credited(world, line, ticket, as_user):
    window = outage(world, line, at(3, 10), at(3, 12), cause="maintenance")
    window.announced_at = at(1, 9)
    window.save()
    with time_machine.travel(FILING, tick=False):
        body = claim(as_user(world.customer), line, ticket).json()
    assert (body["verified_seconds"], body["proposed_amount"]) == (0, "0.00")


def test_the_monthly_cap_limits_the_credits_of_a_service(world, line, ticket, manager, as_user):
    outage(world, line, at(3, 8), at(3, 13))  # five hours: 100 % of the fee, capped at 50 %
    with time_machine.travel(FILING, tick=False):
        body = claim(as_user(world.customer), line, ticket, "2026-11-03T08:00:00+01:00").json()
        assert (
            body["proposed_amount"] == "50.00" and "capped at 50 % of the monthly fee" in body["computation"]
        )
        as_user(manager).post(f"/claims/{body['id']}/decision", {"decision": "approve"})
        with time_machine.travel(at(10, 9), tick=False):
            second = tickets.ticket_create(
                actor=world.customer,
                door="api",
                organisation=world.org,
                requester=world.customer,
                subject="Again",
                description="x",
            )
        outage(world, line, at(10, 9), at(10, 10))
        again = claim(
            as_user(world.customer), line, second, "2026-11-10T09:00:00+01:00", "2026-11-10T10:00:00+01:00"
        )
    assert again.json()["proposed_amount"] == "0.00"  # the cap is used up for November
    assert "50.00 EUR already credited this month" in again.json()["computation"]


def test_the_fee_in_force_when_the_outage_began_is_credited(world, line, ticket, as_user):
    with time_machine.travel(at(20, 9), tick=False):
        contracts.fee_change(
            actor=world.billing_agent,
            door="api",
            subscription=line,
            monthly_fee=Decimal("200.00"),
            effective_on=date(2026, 11, 16),
        )
    missed_guarantee(world, line)
    outage(world, line, at(3, 10), at(3, 11))
    with time_machine.travel(FILING, tick=False):
        body = claim(as_user(world.customer), line, ticket).json()
    assert body["proposed_amount"] == "20.00"  # 20 % of the 100.00 fee of November 3rd


def test_an_account_manager_approves_and_the_customer_is_told(world, line, ticket, manager, as_user):
    world.customer.language = "fr"
    world.customer.save()
    outage(world, line, at(3, 10), at(3, 12))
    with time_machine.travel(FILING, tick=False):
        pk = claim(as_user(world.customer), line, ticket).json()["id"]
        assert (
            as_user(world.customer).post(f"/claims/{pk}/decision", {"decision": "approve"}).status_code == 403
        )
        decided = as_user(manager).post(f"/claims/{pk}/decision", {"decision": "approve"})
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["approved_amount"]) == ("approved", "40.00")
    credit = Credit.objects.get()
    assert (credit.amount, credit.remaining, credit.year, credit.month) == (
        Decimal("40.00"),
        Decimal("40.00"),
        2026,
        11,
    )
    assert as_user(world.customer).get("/credits").json()[0]["amount"] == "40.00"
    again = as_user(manager).post(f"/claims/{pk}/decision", {"decision": "reject", "reason": "no"})
    assert again.status_code == 422 and "already decided" in again.json()["detail"][0]["message"]

    assert send_claim_decision.call(pk) == 1
    [message] = mail.outbox
    assert message.to == ["carla@example.com"]
    assert message.subject == "Votre réclamation SLA pour 2026-11 : approuvée"
    assert "Crédit : 40.00 EUR" in message.body and "pas remboursés en espèces" in message.body
    assert (
        "Les relevés confirment 2 h 00 min de la période réclamée. 20 % de 100.00 EUR par heure"
        in message.body
    )


def test_partial_approval_and_rejection_need_a_reason(world, line, ticket, manager, as_user):
    outage(world, line, at(3, 10), at(3, 12))
    max_ = as_user(manager)
    with time_machine.travel(FILING, tick=False):
        pk = claim(as_user(world.customer), line, ticket).json()["id"]
    path = f"/claims/{pk}/decision"
    assert max_.post(path, {"decision": "reject"}).json()["detail"][0]["field"] == "reason"
    too_much = max_.post(path, {"decision": "partial", "amount": "40.00", "reason": "x"}).json()
    assert too_much["detail"][0]["field"] == "amount"
    assert (
        max_.post(path, {"decision": "partial", "amount": "1.005", "reason": "x"}).json()["detail"][0][
            "field"
        ]
        == "amount"
    )
    partial = max_.post(path, {"decision": "partial", "amount": "25", "reason": "One hour was planned work."})
    assert (partial.json()["status"], partial.json()["approved_amount"]) == ("partial", "25.00")
    assert Credit.objects.get().amount == Decimal("25.00")


def test_a_rejected_claim_gives_no_credit(world, line, ticket, manager, as_user):
    with time_machine.travel(FILING, tick=False):
        pk = claim(as_user(world.customer), line, ticket).json()["id"]
    rejected = as_user(manager).post(
        f"/claims/{pk}/decision", {"decision": "reject", "reason": "No outage recorded."}
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["approved_amount"] is None
    assert Credit.objects.count() == 0
    send_claim_decision.call(pk)
    assert "No outage recorded." in mail.outbox[0].body


def test_a_late_resolution_of_an_incident_can_be_credited(world, line, ticket, as_user):
    clock = ticket.clocks.get(clock=Clock.RESOLUTION)
    clock.breached_at = at(4, 12)
    clock.save()
    ticket.resolved_at = at(4, 14)  # two hours late
    ticket.save()
    with time_machine.travel(FILING, tick=False):
        body = claim(
            as_user(world.customer),
            line,
            ticket,
            "2026-11-03T10:00:00+01:00",
            "2026-11-04T16:00:00+01:00",
            kind="resolution",
        ).json()
    assert (body["kind"], body["verified_seconds"], body["proposed_amount"]) == (
        "resolution",
        2 * 3600,
        "40.00",
    )


def test_a_plan_without_credits_proposes_nothing_and_says_why(world, line, ticket, as_user):
    world.use_plan("basic")
    from guichet.plans.models import SlaPlan

    line.plan = SlaPlan.objects.get(code="basic")
    line.save()
    outage(world, line, at(3, 10), at(3, 12))
    with time_machine.travel(FILING, tick=False):
        body = claim(as_user(world.customer), line, ticket).json()
    assert (
        body["proposed_amount"] == "0.00"
        and "The Basic plan carries no service credit." in body["computation"]
    )


# ---------------------------------------------------------------------------------------- issue 13


def another_ticket(world, day=3):
    with time_machine.travel(at(day, 10, 30), tick=False):
        return open_incident(world, "Still no calls")


@pytest.mark.parametrize(
    ("minutes", "met", "proposed"),
    [(80, True, "0.00"), (90, False, "30.00")],
)
def test_a_month_that_met_its_guarantee_proposes_no_credit_and_says_why(
    world, as_user, minutes, met, proposed
):
    """Policy 004: credits only "si la disponibilité de notre service tombe en dessous du niveau garanti".
    Standard guarantees 99.80 %; March 2026 has 743 h (Luxembourg springs forward), so 80 minutes down is
    99.820 % (met: nothing owed) and 90 minutes 99.798 % (missed: 20 % of 100.00 EUR x 1.5 h = 30.00)."""
    line = SubscriptionFactory(organisation=world.org, plan=SlaPlan.objects.get(code="standard"))
    with time_machine.travel(datetime(2026, 3, 10, 9, 5, tzinfo=LU), tick=False):
        ticket = open_incident(world, "No calls")
    start = datetime(2026, 3, 10, 9, tzinfo=LU)
    with time_machine.travel(datetime(2026, 3, 20, tzinfo=LU), tick=False):
        declare_outage(world, line, start, start + timedelta(minutes=minutes))
    with time_machine.travel(datetime(2026, 4, 3, 10, tzinfo=LU), tick=False):
        body = claim(
            as_user(world.customer), line, ticket, "2026-03-10T08:00:00+01:00", "2026-03-10T12:00:00+01:00"
        ).json()
    assert (body["verified_seconds"], body["proposed_amount"]) == (minutes * 60, proposed)
    if met:
        assert "99.820 % against 99.800 % guaranteed: met." in body["computation"]
        assert "No downtime credit is owed" in body["computation"]
        french = Claim.objects.get().computation_fr
        assert "99.820 % pour 99.800 % garantis : respecté." in french and "Aucun crédit" in french
    else:
        assert "No downtime credit is owed" not in body["computation"]


def test_two_claims_of_the_same_outage_with_two_tickets_count_it_once(world, line, ticket, manager, as_user):
    outage(world, line, at(3, 8), at(3, 13))  # five hours: the 50 % cap
    second = another_ticket(world)
    carla, max_ = as_user(world.customer), as_user(manager)
    with time_machine.travel(FILING, tick=False):
        first = claim(carla, line, ticket, "2026-11-03T08:00:00+01:00").json()
        again = claim(carla, line, second, "2026-11-03T08:00:00+01:00").json()
        assert (first["proposed_amount"], again["proposed_amount"]) == ("50.00", "0.00")
        assert (
            f"5 h 00 min of it is already claimed (claim {first['id']}), so 0 h 00 min counts"
            in (again["computation"])
        )
        # Decided in the other order, the second is worth the outage and the first nothing more.
        approved = max_.post(f"/claims/{again['id']}/decision", {"decision": "approve"}).json()
        refused = max_.post(f"/claims/{first['id']}/decision", {"decision": "approve"})
    assert approved["approved_amount"] == "50.00"
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "decision"
    assert "Nothing is left to credit" in refused.json()["detail"][0]["message"]
    assert sum(c.amount for c in Credit.objects.all()) == Decimal("50.00")


def test_the_cap_is_computed_again_when_a_claim_is_decided(world, line, ticket, manager, as_user):
    outage(world, line, at(3, 10), at(3, 12))
    outage(world, line, at(10, 10), at(10, 12))
    second = another_ticket(world, day=10)
    carla, max_ = as_user(world.customer), as_user(manager)
    with time_machine.travel(FILING, tick=False):
        first = claim(carla, line, ticket).json()
        later = claim(carla, line, second, "2026-11-10T09:00:00+01:00", "2026-11-10T13:00:00+01:00").json()
        assert (first["proposed_amount"], later["proposed_amount"]) == (
            "40.00",
            "40.00",
        )  # nothing credited yet
        max_.post(f"/claims/{first['id']}/decision", {"decision": "approve"})
        too_much = max_.post(
            f"/claims/{later['id']}/decision", {"decision": "partial", "amount": "20", "reason": "x"}
        )
        decided = max_.post(f"/claims/{later['id']}/decision", {"decision": "approve"}).json()
    assert (
        too_much.status_code == 422
        and "less than the proposed 10.00 EUR" in too_much.json()["detail"][0]["message"]
    )
    assert (decided["proposed_amount"], decided["approved_amount"]) == ("10.00", "10.00")
    assert "40.00 EUR already credited this month" in decided["computation"]
    assert "40.00 EUR was proposed when it was filed" in decided["computation"]
    assert sorted(c.amount for c in Credit.objects.all()) == [Decimal("10.00"), Decimal("40.00")]


def test_a_quality_objective_missed_is_credited_once_whatever_the_number_of_claims(world, line, manager):
    """The sibling of the outage claimed twice: the same month's latency claimed with two tickets."""
    from guichet.availability import services as availability
    from guichet.plans.models import QualityObjective

    QualityObjective.objects.create(
        plan=line.plan, metric="latency", unit="ms", objective=Decimal(50), tiers=[["10", "10"]]
    )
    availability.measurement_record(
        actor=world.noc_agent,
        door="api",
        subscription=line,
        metric="latency",
        year=2026,
        month=11,
        value=Decimal(63),
    )
    tickets_ = [another_ticket(world, 3), another_ticket(world, 4)]
    with time_machine.travel(FILING, tick=False):
        claims_ = [
            claim_services.claim_file(
                actor=world.customer,
                door="api",
                subscription=line,
                kind="quality",
                customer_name="Acme",
                customer_contact="carla@example.com",
                outage_start=at(1, 0),
                outage_end=at(30, 23),
                ticket=t.reference,
                description="Slow",
            )
            for t in tickets_
        ]
        assert [c.proposed_amount for c in claims_] == [Decimal("10.00"), Decimal("0.00")]
        claims_[1].proposed_amount = Decimal("10.00")  # as if both had been filed at once
        claims_[1].save()
        claim_services.claim_decide(actor=manager, door="api", claim=claims_[0], decision="approve")
        with pytest.raises(claim_services.ValidationError, match="Nothing is left to credit"):
            claim_services.claim_decide(actor=manager, door="api", claim=claims_[1], decision="approve")
    assert sum(c.amount for c in Credit.objects.all()) == Decimal("10.00")


def test_a_rejected_claim_does_not_block_a_corrected_one_for_the_same_ticket(
    world, line, ticket, manager, as_user
):
    missed_guarantee(world, line)
    outage(world, line, at(3, 10), at(3, 12))
    carla = as_user(world.customer)
    with time_machine.travel(FILING, tick=False):
        wrong = claim(carla, line, ticket, "2026-11-04T09:00:00+01:00", "2026-11-04T13:00:00+01:00").json()
        as_user(manager).post(
            f"/claims/{wrong['id']}/decision",
            {"decision": "reject", "reason": "Nothing was down on the 4th."},
        )
        corrected = claim(carla, line, ticket)
        twice = claim(carla, line, ticket)
    assert corrected.status_code == 201, corrected.content
    assert corrected.json()["proposed_amount"] == "40.00"
    assert twice.status_code == 422 and "exists already" in twice.json()["detail"][0]["message"]


@pytest.mark.django_db(transaction=True)
def test_two_account_managers_deciding_at_once_stay_under_the_cap(world, line):
    """Two claims of two outages (40.00 each against a 50.00 cap), approved at the same instant by two
    account managers (PostgreSQL in CI: real concurrent transactions; the subscription's row lock makes the
    second wait and compute again: 40.00 + 10.00)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need a database server (CI's PostgreSQL pass)")
    with time_machine.travel(at(3, 10, 5), tick=False):
        tickets_ = [open_incident(world, "No calls"), open_incident(world, "Still no calls")]
    outage(world, line, at(3, 10), at(3, 12))
    outage(world, line, at(10, 10), at(10, 12))
    windows = [(at(3, 9), at(3, 13)), (at(10, 9), at(10, 13))]
    with time_machine.travel(FILING, tick=False):
        filed = [
            claim_services.claim_file(
                actor=world.customer,
                door="api",
                subscription=line,
                customer_name="Acme",
                customer_contact="carla@example.com",
                outage_start=start,
                outage_end=end,
                ticket=t.reference,
                description="No calls",
            )
            for t, (start, end) in zip(tickets_, windows, strict=True)
        ]
    managers = [StaffFactory(username=name, kind=User.Kind.ACCOUNT_MANAGER) for name in ("max", "mia")]
    barrier, errors = threading.Barrier(2), []

    def decide(manager, filed_claim):
        try:
            barrier.wait()
            claim_services.claim_decide(actor=manager, door="api", claim=filed_claim, decision="approve")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(FILING, tick=False):
        threads = [threading.Thread(target=decide, args=pair) for pair in zip(managers, filed, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert sorted(c.amount for c in Credit.objects.all()) == [Decimal("10.00"), Decimal("40.00")]


def test_a_decided_claims_refusal_is_in_the_readers_language_its_status_too():
    with pytest.raises(ValidationError) as err, translation.override("fr"):
        claim_services.check_undecided(Claim(status=Claim.Status.PARTIAL))
    assert err.value.message_dict["claim"] == ["Cette réclamation a déjà été décidée (approuvée en partie)."]
    with pytest.raises(ValidationError) as err, translation.override("en"):
        claim_services.check_undecided(Claim(status=Claim.Status.PARTIAL))
    assert err.value.message_dict["claim"] == ["This claim was already decided (approved in part)."]


def test_an_outage_that_ends_before_it_starts_is_refused_in_words_that_say_what_to_do():
    start = datetime(2026, 11, 3, 13, tzinfo=LU)
    with translation.override("en"):
        assert claim_services.check_period((2026, 11), start, start - timedelta(hours=4)) == {
            "outage_end": "The outage's end must come after its start."
        }
    with translation.override("fr"):
        assert claim_services.check_period((2026, 11), start, start) == {
            "outage_end": "La fin de l'interruption doit venir après son début."
        }
