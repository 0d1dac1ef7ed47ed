"""The pages in French: the catalogue is complete, compiled, and used for contacts who read French."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

LOCALE = Path(__file__).resolve().parent.parent / "guichet" / "locale" / "fr" / "LC_MESSAGES"


def entries(po: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of a .po file, multi-line strings joined; plural forms by their first form."""
    pairs, current, key = [], {}, None
    for line in [*po.splitlines(), ""]:
        if not line.strip():
            if "msgid" in current:
                pairs.append((current["msgid"], current.get("msgstr", current.get("msgstr[0]", ""))))
            current, key = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += line[1:-1]
        else:
            key, _, value = line.partition(" ")
            current[key] = value[1:-1]
    return pairs


def test_every_string_of_the_pages_has_its_french_translation():
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in po
    missing = [msgid for msgid, msgstr in entries(po) if msgid and not msgstr]
    assert missing == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_the_compiled_catalogue_is_the_current_one(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(LOCALE / "django.po")], check=True)
    assert compiled.read_bytes() == (LOCALE / "django.mo").read_bytes(), "run `make messages`"


def test_a_contact_who_reads_french_gets_the_extranet_in_french(world):
    world.customer.language = "fr"
    world.customer.save()
    client = Client()
    client.force_login(world.customer)
    page = client.get("/extranet/").text
    assert '<html lang="fr">' in page
    assert "Tickets ouverts" in page and "Factures" in page and "Se déconnecter" in page
    world.colleague.language = "en"
    world.colleague.save()
    other = Client()
    other.force_login(world.colleague)
    assert "Open tickets" in other.get("/extranet/").text


def test_amounts_and_percentages_read_as_in_the_viewers_language(world):
    from decimal import Decimal

    from django.utils import translation

    from guichet.formats import money_text
    from tests.contracts.factories import SubscriptionFactory

    with translation.override("fr"):
        assert money_text(Decimal("1234.5"), "EUR") == "1\xa0234,50 EUR"
        assert money_text(Decimal("10.005"), "TND") == "10,005 TND"
    with translation.override("en"):
        assert money_text(Decimal("1234.5"), "EUR") == "1,234.50 EUR"
    line = SubscriptionFactory(organisation=world.org, identifier="LU-1", monthly_fee=Decimal("1250.00"))
    world.customer.language = "fr"
    world.customer.save()
    client = Client()
    client.force_login(world.customer)
    page = client.get(f"/extranet/services/{line.pk}/").text
    assert "1\xa0250,00 EUR par mois" in page and "100,000 %" in page
