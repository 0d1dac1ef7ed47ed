"""Full-text search (guichet.tickets.search): what is indexed and kept up to date in the write's transaction,
French and English forms, accents, phrases, prefixes, references first, ranking, excerpts, and above all the
scope: a ticket out of reach is neither listed nor counted, and customers never match an internal note."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.tickets import search, services
from guichet.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def open_ticket(world, subject, description, *, org=None, requester=None, category="request"):
    requester = requester or (world.foreigner if org is world.other_org else world.customer)
    return services.ticket_create(
        actor=world.supervisor,
        door="api",
        organisation=org or world.org,
        requester=requester,
        subject=subject,
        description=description,
        category=category,
    )


def found(user, text, **filters):
    return [Ticket.objects.get(pk=pk).reference for pk in search.search_page(user, text, **filters).ids]


def test_parse_words_phrases_prefix_and_references():
    q = search.parse('Déconnexion "box internet" GT-2026-000123 rout')
    assert q.words == ["deconnexion"]
    assert q.phrases == [["box", "internet"]]
    assert q.references == ["GT-2026-000123"]
    assert q.prefix == "rout"
    assert search.parse("routeur ").prefix == ""  # a space typed: the word is whole
    assert search.parse("routeur ").words == ["routeur"]
    # Fewer than three letters: a word, not the prefix of thousands of terms.
    assert search.parse("box in").prefix == ""
    assert search.parse("box in").words == ["box", "in"]
    assert not search.parse('  " ; -- ')


def test_fold_keeps_positions():
    assert search.fold("Déconnexion à l'Hôtel") == "Deconnexion a l'Hotel"
    assert len(search.fold("œuvre ßé")) == len("œuvre ßé")


def test_stems_in_both_languages():
    assert "factur" in search.stem_prefixes("factures")
    assert "connect" in search.stem_prefixes("connected")
    assert search.stem_prefixes("box") == []


def named(user, first, last):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


def test_words_of_subject_messages_organisation_and_people_are_found(world):
    named(world.customer, "Carla", "Mendès")
    t = open_ticket(world, "Imprimante bloquée", "Le bourrage papier revient chaque matin")
    services.ticket_reply(actor=world.agent, door="api", ticket=t, body="Nous envoyons un technicien")
    for words in ["imprimante", "bourrage papier", "technicien", "Acme", "mendes", "carla"]:
        assert found(world.supervisor, words + " ") == [t.reference], words


def test_accents_folded_both_ways_and_word_forms(world):
    t = open_ticket(world, "Déconnexion répétée", "Les factures arrivent en retard; connection dropped")
    assert found(world.supervisor, "deconnexion ") == [t.reference]
    assert found(world.supervisor, "DÉCONNEXION ") == [t.reference]
    assert found(world.supervisor, "facture ") == [t.reference]  # French plural
    assert found(world.supervisor, "facturé ") == [t.reference]
    assert found(world.supervisor, "connections ") == [t.reference]  # English plural
    assert found(world.supervisor, "drop ") == [t.reference]  # dropped


def test_all_words_required_phrases_and_prefix_while_typing(world):
    a = open_ticket(world, "Routeur en panne", "La box internet ne répond plus")
    b = open_ticket(world, "Box neuve", "Internet fonctionne, la box est neuve")
    assert set(found(world.supervisor, "box internet ")) == {a.reference, b.reference}
    assert found(world.supervisor, '"box internet"') == [a.reference]
    assert found(world.supervisor, "routeur neuve ") == []
    assert found(world.supervisor, "rout") == [a.reference]  # still typing
    assert found(world.supervisor, "box neuv") == [b.reference]
    assert found(world.supervisor, "rou ") == []  # a whole word now, and a short one: matched exactly
    assert found(world.supervisor, "box bo") == []  # two letters typed: a word (none), not a prefix of "box"


def test_reference_typed_as_is_comes_first(world):
    a = open_ticket(world, "Téléphone muet", "Plus de tonalité")
    b = open_ticket(world, "Suite", f"Voir {a.reference}, toujours pas de tonalité tonalité tonalité")
    assert found(world.supervisor, a.reference) == [a.reference, b.reference]
    assert found(world.supervisor, a.reference.lower()) == [a.reference, b.reference]


def test_ranked_by_relevance_with_highlighted_escaped_excerpt(world):
    once = open_ticket(world, "Lenteurs", "Le VPN est lent depuis hier")
    many = open_ticket(world, "VPN coupé", "Le VPN <b>tombe</b>, le VPN revient, le VPN tombe")
    results = search.search_page(world.supervisor, "vpn ")
    assert results.ids == [many.pk, once.pk]
    assert results.total == 2
    excerpt = results.excerpts[many.pk]
    assert "<mark>VPN</mark>" in excerpt
    assert "&lt;b&gt;" in excerpt and "<b>" not in excerpt


def test_excerpt_keeps_accents(world):
    t = open_ticket(world, "Coupure", "La déconnexion survient à midi")
    excerpt = search.search_page(world.supervisor, "deconnexion").excerpts[t.pk]
    assert "<mark>déconnexion</mark>" in excerpt


def test_internal_notes_found_by_staff_never_by_customers(world):
    t = open_ticket(world, "Ligne coupée", "Plus rien depuis ce matin")
    services.ticket_reply(
        actor=world.supervisor,
        door="api",
        ticket=t,
        body="Le client doit encore trois factures",
        internal=True,
    )
    staff = search.search_page(world.supervisor, "factures ")
    assert staff.ids == [t.pk]
    assert "<mark>factures</mark>" in staff.excerpts[t.pk]
    customer = search.search_page(world.customer, "factures ")
    assert customer.ids == [] and customer.total == 0
    assert found(world.customer, "ligne ") == [t.reference]
    assert "factures" not in search.search_page(world.customer, "ligne").excerpts[t.pk]


def test_scope_customers_of_another_organisation_and_agents_outside_the_team(world):
    ours = open_ticket(world, "Standard saturé", "Trop d'appels entrants")
    theirs = open_ticket(world, "Standard saturé", "Trop d'appels entrants", org=world.other_org)
    incident = open_ticket(world, "Standard saturé", "Incident", category="incident")  # the NOC's
    assert set(found(world.customer, "standard ")) == {ours.reference, incident.reference}
    foreigner = search.search_page(world.foreigner, "standard ")
    assert (foreigner.ids, foreigner.total) == ([theirs.pk], 1)
    agent = search.search_page(world.agent, "standard ")  # the support team: not the NOC's incident
    assert set(agent.ids) == {ours.pk, theirs.pk} and agent.total == 2
    noc = search.search_page(world.noc_agent, "standard ")
    assert (noc.ids, noc.total) == ([incident.pk], 1)
    assert search.search_page(world.foreigner, ours.reference).total == 0


def test_queue_filters_apply(world):
    a = open_ticket(world, "Wifi instable", "x")
    b = open_ticket(world, "Wifi instable", "y", org=world.other_org)
    services.ticket_change(
        actor=world.supervisor, door="api", ticket=b, expected_version=None, priority="high"
    )
    assert found(world.supervisor, "wifi ", organisation_id=world.org.pk) == [a.reference]
    assert found(world.supervisor, "wifi ", priority="high") == [b.reference]
    assert found(world.supervisor, "wifi ", statuses=["closed"]) == []


def test_merge_moves_the_words_to_the_surviving_ticket(world):
    a = open_ticket(world, "Fax", "Le télécopieur grésille")
    b = open_ticket(world, "Fax encore", "Toujours pareil")
    services.ticket_merge(actor=world.supervisor, door="api", ticket=a, into=b)
    assert found(world.supervisor, "telecopieur ") == [b.reference]


def test_watchers_names_are_searched(world):
    t = open_ticket(world, "Accès", "Badge refusé")
    named(world.colleague, "Colin", "Ferreira")
    services.ticket_watch(actor=world.supervisor, door="api", ticket=t, user=world.colleague)
    assert found(world.supervisor, "ferreira ") == [t.reference]


def test_rebuild_indexes_what_is_in_the_database(world):
    t = open_ticket(world, "Antenne", "Signal faible")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tickets_search")
    assert found(world.supervisor, "antenne ") == []
    assert search.rebuild() == 1
    assert found(world.supervisor, "antenne ") == [t.reference]


def test_index_update_is_part_of_the_write(world):
    t = open_ticket(world, "Onduleur", "Bip continu")
    with pytest.raises(RuntimeError), connection.cursor():
        from django.db import transaction

        with transaction.atomic():
            services.ticket_reply(actor=world.agent, door="api", ticket=t, body="Batterie remplacée")
            raise RuntimeError
    assert found(world.supervisor, "batterie ") == []


def test_a_page_costs_a_constant_number_of_queries(world):
    for i in range(12):
        open_ticket(world, f"Messagerie {i}", "La messagerie vocale sature")
    with CaptureQueriesContext(connection) as ctx:
        results = search.search_page(world.agent, "messagerie ", limit=10)
    assert len(results.ids) == 10 and results.total == 12
    # SQLite: the candidates with their excerpts, one query (and the agent's teams). PostgreSQL: up to three
    # for the candidates (the newest documents, the GIN index, the matches' tickets) and two for the
    # excerpts (their texts, their headlines).
    assert len(ctx.captured_queries) <= (5 if connection.vendor == "postgresql" else 2)


def test_the_rebuild_command(world):
    from io import StringIO

    from django.core.management import call_command

    t = open_ticket(world, "Climatisation", "Salle serveur trop chaude")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tickets_search")
    out = StringIO()
    call_command("search_rebuild", stdout=out)
    assert out.getvalue().startswith("1 ticket(s) indexed")
    assert found(world.supervisor, "climatisation ") == [t.reference]


@pytest.mark.django_db(transaction=True)
def test_committed_writes_are_found_and_the_database_still_flushes():
    """Outside a test transaction: the row is committed with the ticket; Django's flush afterwards (TRUNCATE
    on PostgreSQL) is not refused by the search table, which Django does not know."""
    from guichet.customers.models import User
    from guichet.plans.demo import load_plans
    from guichet.plans.models import OrganisationPlan, SlaPlan
    from tests.customers.factories import ContactFactory, OrganisationFactory, StaffFactory

    load_plans()
    org = OrganisationFactory(name="Initech")
    OrganisationPlan.objects.create(organisation=org, plan=SlaPlan.objects.get(code="office"))
    customer = ContactFactory(organisation=org).user
    sue = StaffFactory(username="sue-t", kind=User.Kind.SUPERVISOR)
    t = services.ticket_create(
        actor=customer,
        door="api",
        organisation=org,
        requester=customer,
        subject="Agrafeuse",
        description="Elle a disparu",
    )
    assert [Ticket.objects.get(pk=pk).reference for pk in search.search_page(sue, "agrafeuse ").ids] == [
        t.reference
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 table")
def test_sqlite_prefixes_of_three_to_six_letters_have_their_own_index(world):
    # Without them a frequent prefix ("offic*", "call*") is merged from every term's doclist: 60-80 ms at
    # 1,000,000 tickets instead of 17 (docs/performance.md). FTS5 keeps the option in the table's SQL.
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [search.TABLE])
        (sql,) = cursor.fetchone()
    assert "prefix = '3 4 5 6'" in sql
    t = open_ticket(world, "Offices flooded", "Water in the officers' room")
    assert found(world.supervisor, "offic") == [t.reference]
    assert found(world.supervisor, "office") == [t.reference]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's three plans")
@pytest.mark.parametrize(
    "recent, probe, own_read",
    [(search.RECENT, search.PROBE, search.OWN_READ), (1, search.PROBE, 0), (1, 2, 10**6)],
    ids=["newest documents, then the GIN index", "the GIN index alone", "the whole index backwards"],
)
def test_postgresql_plans_give_the_same_answer(world, monkeypatch, recent, probe, own_read):
    """Whichever step answers (_pg_candidates), the same tickets in the same order, for staff and for a
    customer (whose search reads its organisation's documents only, or the GIN index with the
    organisation's lexeme: another organisation's tickets are not even read)."""
    monkeypatch.setattr(search, "RECENT", recent)
    monkeypatch.setattr(search, "RECENT_OWN", recent)
    monkeypatch.setattr(search, "OWN_READ", own_read)
    monkeypatch.setattr(search, "PROBE", probe)
    ours = [open_ticket(world, f"Standard saturé {i}", "Trop d'appels entrants") for i in range(3)]
    theirs = open_ticket(world, "Standard saturé", "Trop d'appels", org=world.other_org)
    services.ticket_reply(actor=world.supervisor, door="api", ticket=ours[0], body="standard", internal=True)
    staff = search.search_page(world.supervisor, "standard ")
    assert set(staff.ids) == {t.pk for t in [*ours, theirs]} and staff.total == 4
    assert staff.ids[0] == ours[0].pk  # the note's word too: ranked first for staff
    customer = search.search_page(world.customer, "standard ")
    assert set(customer.ids) == {t.pk for t in ours} and customer.total == 3
    assert search.search_page(world.supervisor, "standard ", organisation_id=world.other_org.pk).ids == [
        theirs.pk
    ]
    assert search.search_page(world.foreigner, "appels entrants").ids == []
    assert search.search_page(world.supervisor, ours[1].reference).ids[0] == ours[1].pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_postgresql_a_frequent_word_ends_among_the_newest_documents(world, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 2)
    tickets = [open_ticket(world, f"Standard saturé {i}", "Trop d'appels entrants") for i in range(4)]
    with CaptureQueriesContext(connection) as ctx:
        found = search.search_page(world.supervisor, "standard ")
    assert set(found.ids) == {tickets[3].pk, tickets[2].pk} and found.more
    assert not any("_doc @@" in q["sql"] for q in ctx.captured_queries)  # the GIN index not asked


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_postgresql_a_customer_reads_its_organisation_documents_only(world):
    ours = [open_ticket(world, f"Standard saturé {i}", "Trop d'appels entrants") for i in range(3)]
    for i in range(3):
        open_ticket(world, f"Standard saturé {i}", "Trop d'appels", org=world.other_org)
    with CaptureQueriesContext(connection) as ctx:
        found = search.search_page(world.customer, "standard ")
    assert found.ids == [t.pk for t in reversed(ours)]
    read = [q["sql"] for q in ctx.captured_queries if "ts_rank" in q["sql"]]
    # One reading of the organisation's newest documents, all of them (it has fewer than RECENT_OWN): neither
    # the GIN index nor a second reading.
    assert len(read) == 1 and f"organisation_id <= {world.org.pk} AND rowid <" in read[0]
    assert not any("_doc @@" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's documents")
def test_postgresql_documents_hold_the_organisation_as_a_lexeme_no_word_can_match_and_its_id(world):
    t = open_ticket(world, "Routeur", "o17 ~o17")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT public_doc::text FROM {search.TABLE} WHERE rowid = %s", [t.pk])
        doc = cursor.fetchone()[0]
    assert f"'{search.org_lexeme(world.org.pk)}'" in doc.split()
    with connection.cursor() as cursor:  # and its id, for the organisation's newest documents first
        cursor.execute(f"SELECT organisation_id FROM {search.TABLE} WHERE rowid = %s", [t.pk])
        assert cursor.fetchone()[0] == world.org.pk
    assert found(world.supervisor, f"~o{world.org.pk} ") == []  # typed, it is the word "o<id>"
