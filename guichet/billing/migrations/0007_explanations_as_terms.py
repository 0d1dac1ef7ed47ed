"""Claims' computations and credits' explanations are stored as terms, worded when read (billing.explain).

A row from before holds only its two texts: they are kept as a ``text`` part, said in English or French as
they were written (in any other language, in English); the French columns go."""

from django.db import migrations, models


def texts_to_terms(apps, schema_editor):
    Claim = apps.get_model("billing", "Claim")
    Credit = apps.get_model("billing", "Credit")
    for claim in Claim.objects.only("pk", "computation", "computation_fr").iterator():
        part = {"code": "text", "en": claim.computation}
        if claim.computation_fr:
            part["fr"] = claim.computation_fr
        Claim.objects.filter(pk=claim.pk).update(computation_terms=[part])
    for credit in Credit.objects.only("pk", "explanation", "explanation_fr").iterator():
        part = {"code": "text", "en": credit.explanation}
        if credit.explanation_fr:
            part["fr"] = credit.explanation_fr
        Credit.objects.filter(pk=credit.pk).update(explanation_terms=[part])


def terms_to_texts(apps, schema_editor):
    Claim = apps.get_model("billing", "Claim")
    Credit = apps.get_model("billing", "Credit")
    for model, text, french, terms in (
        (Claim, "computation", "computation_fr", "computation_terms"),
        (Credit, "explanation", "explanation_fr", "explanation_terms"),
    ):
        for row in model.objects.only("pk", terms).iterator():
            parts = [part for part in getattr(row, terms) if part.get("code") == "text"]
            model.objects.filter(pk=row.pk).update(
                **{
                    text: " ".join(part.get("en", "") for part in parts),
                    french: " ".join(part.get("fr", "") for part in parts),
                }
            )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_ordering_ties_broken_by_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="computation_terms",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="How the proposed amount was reached, as terms (billing.explain).",
            ),
        ),
        migrations.AddField(
            model_name="credit",
            name="explanation_terms",
            field=models.JSONField(
                blank=True, default=list, help_text="How the amount was reached: its terms (billing.explain)."
            ),
        ),
        migrations.RunPython(texts_to_terms, terms_to_texts),
        migrations.RemoveField(model_name="claim", name="computation"),
        migrations.RemoveField(model_name="claim", name="computation_fr"),
        migrations.RemoveField(model_name="credit", name="explanation"),
        migrations.RemoveField(model_name="credit", name="explanation_fr"),
    ]
