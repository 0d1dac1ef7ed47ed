"""plans.services.organisation_open: an organisation and its plan in one command (the API's create)."""

import pytest

from guichet.audit.models import AuditEvent
from guichet.customers.models import Organisation
from guichet.errors import PermissionDenied, ValidationError
from guichet.plans.selectors import plan_for_organisation
from guichet.plans.services import organisation_open


def test_an_organisation_opens_on_its_plan_with_its_audit_events(world):
    org = organisation_open(actor=world.supervisor, door="api", name="Initech", slug="initech", plan="retail")
    assert plan_for_organisation(org).code == "retail"
    actions = AuditEvent.objects.filter(organisation_id=org.pk).values_list("action", flat=True)
    assert sorted(actions) == ["organisation.created", "organisation.plan_set"]


def test_an_unknown_plan_or_a_refused_actor_leaves_nothing(world):
    with pytest.raises(ValidationError) as exc:
        organisation_open(actor=world.supervisor, door="api", name="Initech", slug="initech", plan="nope")
    assert "plan" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        organisation_open(actor=world.agent, door="api", name="Initech", slug="initech", plan="retail")
    assert not Organisation.objects.filter(slug="initech").exists()
