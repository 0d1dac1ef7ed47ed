"""A false alarm silences the paging as an acknowledgement does: only who may acknowledge the page (the
rota's team, its supervisor, the engineers on its rota, admins) may call it one."""

import time_machine

from guichet.channels.models import Page

from .test_oncall import SATURDAY_NIGHT, declare, rota  # noqa: F401 (a fixture)


def test_only_who_may_acknowledge_a_page_may_call_it_a_false_alarm(world, rota, as_user):  # noqa: F811
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        declare(world)
    page = Page.objects.get()
    for outsider in (world.agent, world.billing_agent):  # Alice (support) and Bill (billing): not the NOC's
        refused = as_user(outsider).post(f"/pages/{page.pk}/false-alarm")
        assert refused.status_code == 403, outsider
        assert "call its pages false alarms" in refused.json()["detail"]
    page.refresh_from_db()
    assert not page.false_alarm and page.next_page_at is not None
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        judged = as_user(world.noc_agent).post(f"/pages/{page.pk}/false-alarm")
    assert judged.status_code == 200 and judged.json()["false_alarm"] is True
