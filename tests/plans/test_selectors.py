def test_calendar_rows_are_kept_a_while_and_forgotten_when_a_calendar_changes(
    db, django_assert_num_queries, monkeypatch
):
    from guichet.plans import selectors
    from guichet.plans.models import Calendar
    from guichet.plans.selectors import calendars_by_id

    cal = Calendar.objects.create(name="Office", hours="Mon-Fri 09:00-17:00", time_zone="Europe/Paris")
    with django_assert_num_queries(1):
        calendars_by_id([cal.pk])
    with django_assert_num_queries(0):
        assert calendars_by_id([cal.pk])[cal.pk].time_zone == "Europe/Paris"
    cal.time_zone = "Europe/Lisbon"
    cal.save()
    with django_assert_num_queries(1):
        assert calendars_by_id([cal.pk])[cal.pk].time_zone == "Europe/Lisbon"
    monkeypatch.setattr(selectors, "CALENDAR_ROWS_TTL", 0.0)  # as if the minute had passed
    with django_assert_num_queries(1):
        calendars_by_id([cal.pk])
