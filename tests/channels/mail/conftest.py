import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests import dovecot

_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot_server():
    if not dovecot.available():
        if os.environ.get("GUICHET_REQUIRE_DOVECOT") == "1":
            pytest.fail(f"GUICHET_REQUIRE_DOVECOT=1 but {dovecot.BINARY} is missing")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)")
    # Not under pytest's tmp_path: its parents are private, and Dovecot's mail processes run as nobody.
    root = Path(tempfile.mkdtemp(prefix="guichet-dovecot-"))
    root.chmod(0o755)
    server = dovecot.Dovecot(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_user(dovecot_server):
    """A user name of its own on the server: an empty INBOX for this test."""
    return f"box{next(_users)}-{os.getpid()}@guichet.example"
