"""The mail load test in a reduced form: mails delivered at once over concurrent SMTP connections to the
real receiver, then exactly the expected tickets and messages (bench/mail_load.py does 1,000)."""

import sys
from pathlib import Path

import pytest

from guichet.channels.mail import receiver
from tests.helpers import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import mail_load

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_delivery_loses_nothing_and_duplicates_nothing(db):
    mail_load.setup_world(existing=20)
    batch = mail_load.make_batch(120, existing=20)
    assert (batch.new, batch.duplicates, batch.replies, batch.automatic) == (78, 12, 24, 6)
    port = free_port()
    server = receiver.controller("127.0.0.1", port)
    server.start()
    try:
        _, errors = mail_load.deliver(port, batch, clients=8)
    finally:
        server.stop()
    assert errors == []
    counts = mail_load.check(batch, existing=20)
    assert {k: v for k, v in counts.items() if v[0] != v[1]} == {}
