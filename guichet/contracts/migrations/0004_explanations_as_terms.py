"""A termination request's explanation is stored as terms, worded when read (contracts.explain).

A request from before gets its terms back when the contract's terms, computed again, give the same last day
(they do unless the subscription's terms changed since); otherwise its two texts are kept as a ``text``
part, said in English or French as they were written. The French column goes."""

from django.db import migrations, models

from guichet.money.errors import OutOfRange
from guichet.money.terms import earliest_termination


def _terms(request):
    subscription = request.subscription
    try:
        result = earliest_termination(
            start=subscription.start_date,
            requested_on=request.requested_on,
            commitment_months=subscription.commitment_months,
            renewal_months=subscription.renewal_months,
            notice_days=subscription.notice_days,
        )
    except (OutOfRange, ValueError):
        return None
    if result.last_day != request.last_day:
        return None
    return {
        "code": "termination",
        "requested_on": result.requested_on.isoformat(),
        "notice_deadline": result.notice_deadline.isoformat(),
        "term_end": result.term_end.isoformat(),
        "last_day": result.last_day.isoformat(),
        "start": result.start.isoformat(),
        "commitment_months": result.commitment_months,
        "renewal_months": result.renewal_months,
        "notice_days": result.notice_days,
        "notice_end": result.notice_end.isoformat(),
        "previous_end": result.previous_end.isoformat() if result.previous_end else None,
    }


def texts_to_terms(apps, schema_editor):
    TerminationRequest = apps.get_model("contracts", "TerminationRequest")
    for request in TerminationRequest.objects.select_related("subscription").iterator():
        terms = _terms(request)
        if terms is None:
            terms = {"code": "text", "en": request.explanation}
            if request.explanation_fr:
                terms["fr"] = request.explanation_fr
        TerminationRequest.objects.filter(pk=request.pk).update(explanation_terms=terms)


def terms_to_texts(apps, schema_editor):
    # Back to texts: what was a text part is restored; terms are not worded here (the words live in the
    # code of the version migrated to), so such a row gets its last day only.
    TerminationRequest = apps.get_model("contracts", "TerminationRequest")
    for request in TerminationRequest.objects.iterator():
        terms = request.explanation_terms or {}
        if terms.get("code") == "text":
            english, french = terms.get("en", ""), terms.get("fr", "")
        else:
            english, french = f"Last day {request.last_day}.", f"Dernier jour le {request.last_day}."
        TerminationRequest.objects.filter(pk=request.pk).update(explanation=english, explanation_fr=french)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_ordering_ties_broken_by_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="terminationrequest",
            name="explanation_terms",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="How the last day was reached: its terms (contracts.explain).",
            ),
        ),
        migrations.RunPython(texts_to_terms, terms_to_texts),
        migrations.RemoveField(model_name="terminationrequest", name="explanation"),
        migrations.RemoveField(model_name="terminationrequest", name="explanation_fr"),
    ]
