import itertools
import os

import pytest

from tests import dovecot

_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot_server():
    yield from dovecot.private_server("guichet-dovecot-")


@pytest.fixture
def imap_user(dovecot_server):
    """A user name of its own on the server: an empty INBOX for this test."""
    return f"box{next(_users)}-{os.getpid()}@guichet.example"
