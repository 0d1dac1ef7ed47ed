import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests import dovecot

from .processes import Child, SmtpSink, Template

_imap_users = itertools.count(1)


@pytest.fixture(scope="session")
def fault_template():
    """A migrated database to copy: a SQLite file, or a template database on DATABASE_URL's server."""
    # Not under pytest's tmp_path: its parents are private, and a PostgreSQL cluster runs as postgres.
    workdir = Path(tempfile.mkdtemp(prefix="guichet-faults-"))
    template = Template(workdir)
    yield template
    template.remove()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def fault_db(fault_template, tmp_path):
    """A database of this test's own, that its child processes reach through DATABASE_URL."""
    db = fault_template.copy(tmp_path)
    yield db
    Child.kill_leftovers()  # before its database goes
    fault_template.drop(db)


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def imap_server():
    """A private Dovecot (tests/dovecot.py), skipped as the mail tests skip it when it is not installed."""
    yield from dovecot.private_server("guichet-faults-dovecot-")


@pytest.fixture
def imap_user(imap_server):
    """A user of its own on the server: an empty INBOX for this test."""
    return f"faults{next(_imap_users)}-{os.getpid()}@guichet.example"


@pytest.fixture(autouse=True)
def no_leftover_processes():
    """A test that fails half-way leaves no server or worker running."""
    yield
    Child.kill_leftovers()
