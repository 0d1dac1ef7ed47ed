"""Every choice label of Guichet's models reads in French for a French reader: the statuses, priorities,
categories and kinds that pages, mails and the admin show by ``get_FOO_display`` or a ``choices`` list."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

# Labels French writes as English does: names, and words French has borrowed as they are.
SAME_IN_FRENCH = {
    *("API", "WhatsApp", "Matrix", "Skype"),  # the channels' own names
    *("Incident", "Force majeure", "Standard", "Support", "Agent"),
}
# The languages a contact picks from are named in their own language (as settings.LANGUAGES), in any page.
AUTONYMS = {"English", "Français"}


def ours(module: str) -> bool:
    return module.startswith("guichet.")


def labels_of_fields() -> list[tuple[str, object]]:
    """(where, label) of every choice of every field of Guichet's models."""
    found = []
    for model in apps.get_models():
        if not ours(model.__module__):
            continue  # Django's and the task queue's models: their own catalogues
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or []:
                found.append((f"{model._meta.label}.{field.name}={value}", label))
    return found


def labels_of_classes() -> list[tuple[str, object]]:
    """(where, label) of every choice class declared in a models module of Guichet, used by a field or not
    (ContactRole is a JSON list's vocabulary)."""
    found, todo = [], [models.TextChoices, models.IntegerChoices]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if ours(cls.__module__) and cls.__module__.endswith(".models"):
            found.extend((f"{cls.__qualname__}.{member.name}", member.label) for member in cls)
    return found


def untranslated(labels: list[tuple[str, object]]) -> list[str]:
    missing = []
    for where, label in labels:
        with translation.override("en"):
            english = str(label)
        with translation.override("fr"):
            french = str(label)
        if french == english and english not in SAME_IN_FRENCH | AUTONYMS:
            missing.append(f"{where}: {english!r}")
    return missing


def test_every_choice_label_of_a_model_field_has_its_french_translation():
    labels = labels_of_fields()
    assert len(labels) > 100  # the walk found the models' fields
    assert untranslated(labels) == []


def test_every_choice_class_of_the_models_has_its_french_translation():
    labels = labels_of_classes()
    assert "ContactRole.ADMIN" in dict(labels)
    assert untranslated(labels) == []


@pytest.mark.parametrize("word", sorted(SAME_IN_FRENCH))
def test_the_words_french_shares_are_still_labels(word):
    """The allow-list names labels that exist, so that it does not grow stale and hide a missing one."""
    assert word in {str(label) for _, label in labels_of_fields()}


def test_an_english_reader_reads_the_labels_as_before():
    from guichet.tickets.models import Status, Ticket

    with translation.override("en"):
        assert Ticket(status=Status.PENDING_CUSTOMER).get_status_display() == "Pending customer"
        assert dict(Status.choices)["open"] == "Open"
    with translation.override("fr"):
        assert Ticket(status=Status.PENDING_CUSTOMER).get_status_display() == "En attente du client"
