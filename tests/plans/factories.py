import factory

from guichet.plans.models import Calendar, SlaPlan


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Calendar
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Calendar {n}")
    hours = "Mon-Fri 08:00-18:00"
    time_zone = "Europe/Luxembourg"
    country = "LU"


class SlaPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPlan

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.Sequence(lambda n: f"Plan {n}")
    support_calendar = factory.SubFactory(CalendarFactory)
    fault_calendar = factory.SelfAttribute("support_calendar")
