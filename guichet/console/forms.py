"""The dashboard's filters as a form: it parses the query string, and a bad value is an error naming the
field by its label."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.customers.models import Organisation, Team
from guichet.errors import ValidationError
from guichet.plans.models import SlaPlan
from guichet.tickets.reports import SORTS, Period, Scope, period_bounds

SORT_CHOICES = [(f"{sign}{key}", f"{sign}{key}") for key in SORTS for sign in ("", "-")]


class DashboardFilters(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices, required=False)
    start = forms.DateField(
        label=pgettext_lazy("period", "From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=pgettext_lazy("period", "To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False, empty_label="—"
    )
    plan = forms.ModelChoiceField(
        label=_("Plan"), queryset=SlaPlan.objects.order_by("name"), required=False, empty_label="—"
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label="—",
    )
    sort = forms.ChoiceField(label=_("Sort agents by"), choices=SORT_CHOICES, required=False)

    def scope(self, now: datetime) -> Scope | None:
        """The period and choices as a Scope, or None with the errors on the form."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        # Dates alone (a bookmarked ?start=...&end=...) are a custom period.
        period = data["period"] or (Period.CUSTOM if data["start"] or data["end"] else Period.THIS_MONTH)
        try:
            start, end = period_bounds(period, first=data["start"], last=data["end"], now=now)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
            return None
        return Scope(
            start=start,
            end=end,
            team_id=data["team"].pk if data["team"] else None,
            plan_id=data["plan"].pk if data["plan"] else None,
            organisation_id=data["organisation"].pk if data["organisation"] else None,
        )

    def error_lines(self) -> list[str]:
        """Each error as "Label: message"."""
        return [
            f"{self.fields[name].label}: {' '.join(map(str, errors))}"
            if name in self.fields
            else " ".join(map(str, errors))
            for name, errors in self.errors.items()
        ]
