"""Every operation of /api/openapi.json, fuzzed by schemathesis with valid and invalid inputs, as a member of
staff and as a customer: no answer is a 5xx, every status is documented and every body matches its schema.
Path parameters are half the time the ids of real rows, so the operations are also fuzzed past their 404.

Deterministic (derandomized): the same cases on every run, on SQLite and on PostgreSQL alike. To search
further, run with SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_RANDOM=1."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from guichet.availability import services as availability
from guichet.customers.tokens import token_create
from guichet.tickets import services as tickets
from guichet.wsgi import application
from tests.contracts.factories import SubscriptionFactory

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

# Ids of real rows, filled by the `known` fixture before each test generates its cases.
KNOWN: dict[str, object] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    real = {name: KNOWN[name] for name in path_parameters or () if name in KNOWN}
    if not real:
        return st.just(path_parameters)
    return st.sampled_from([{**path_parameters, **real}, path_parameters])


@pytest.fixture
def known(world, as_user):
    """A technical ticket with a message, an attachment and a quote; a subscription with an outage. Returns
    the bearer tokens of a supervisor (allowed to import) and of a customer admin contact."""
    ticket = tickets.ticket_create(
        actor=world.customer,
        door="api",
        organisation=world.org,
        requester=world.customer,
        subject="Phones dead",
        description="Since this morning",
        category="technical_service",
    )
    attachment = tickets.ticket_attach(
        actor=world.customer, door="api", ticket=ticket, upload=SimpleUploadedFile("a.txt", b"hello")
    )
    quote = tickets.quote_send(actor=world.supervisor, door="api", ticket=ticket, amount=Decimal("120.00"))
    line = SubscriptionFactory(organisation=world.org)
    outage = availability.outage_declare(
        actor=world.noc_agent,
        door="api",
        subscriptions=[line],
        started_at=datetime.now(UTC) - timedelta(hours=2),
        title="Down",
    )
    KNOWN.update(
        ref=ticket.reference,
        attachment_id=attachment.pk,
        quote_id=quote.pk,
        org_id=world.org.pk,
        subscription_id=line.pk,
        outage_id=outage.pk,
        code="office",
    )
    yield {
        "staff": token_create(user=world.supervisor, can_import=True)[1],
        "customer": token_create(user=world.customer)[1],
    }
    KNOWN.clear()


@pytest.fixture
def in_test_transaction():
    """The app is called through WSGI, as a server would call it. As Django's test client does, keep the
    request signals from closing the connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=not os.environ.get("SCHEMATHESIS_RANDOM"),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema_and_never_fails(case, known, in_test_transaction):
    for who in ("staff", "customer"):
        case.call_and_validate(headers={"Authorization": f"Bearer {known[who]}"}, checks=CHECKS)
