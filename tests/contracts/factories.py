from datetime import date
from decimal import Decimal

import factory

from guichet.contracts.models import FeeChange, Service, Subscription
from guichet.plans.models import SlaPlan
from tests.customers.factories import OrganisationFactory, StaffFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("code",)

    code = "sip-trunk"
    name = "SIP trunk"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """An active subscription with its first fee (as subscription_create makes them)."""

    class Meta:
        model = Subscription
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    service = factory.SubFactory(ServiceFactory)
    identifier = factory.Sequence(lambda n: f"+352 20 00 {n:04d}")
    monthly_fee = Decimal("100.00")
    currency = "EUR"
    plan = factory.LazyFunction(lambda: SlaPlan.objects.get(code="office"))
    start_date = date(2026, 1, 15)
    status = "active"

    @factory.post_generation
    def first_fee(obj, create, extracted, **kwargs):
        if create:
            FeeChange.objects.create(
                subscription=obj,
                effective_on=obj.start_date,
                monthly_fee=obj.monthly_fee,
                changed_by=StaffFactory(username="billing-robot"),
                changed_at=obj.created_at,
            )
