"""A private Dovecot IMAP server for the tests: Debian's dovecot-imapd (installed by .ci/run), started with
its own configuration in a temporary directory, on a free port, plain IMAP on 127.0.0.1.

Any user name logs in with the password ``secret`` and gets an empty maildir of its own, so each test takes a
fresh mailbox by choosing a new user name. Without Dovecot the IMAP tests are skipped, except where
GUICHET_REQUIRE_DOVECOT=1 (CI) makes that a failure.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .helpers import free_port

BINARY = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "secret"


def available() -> bool:
    return os.access(BINARY, os.X_OK)


def _users() -> tuple[str, str, str, str]:
    """(internal user, login user, mail user, mail group) that Dovecot accepts here."""
    if os.getuid() == 0:  # as root Dovecot drops to its own users; mail is owned by nobody
        return "dovecot", "dovenull", "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    me = pwd.getpwuid(os.getuid()).pw_name
    return me, me, me, grp.getgrgid(os.getgid()).gr_name


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


class Dovecot:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> Dovecot:
        internal, login, mail_user, mail_group = _users()
        for sub in ("run", "state", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root / "home", mail_user, mail_group)
        conf = self.root / "dovecot.conf"
        conf.write_text(
            CONFIG.format(
                root=self.root,
                internal=internal,
                login=login,
                mail_user=mail_user,
                mail_group=mail_group,
                password=PASSWORD,
                port=self.port,
            )
        )
        self.process = subprocess.Popen([BINARY, "-F", "-c", str(conf)], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        log = self.root / "dovecot.log"
        raise RuntimeError(f"Dovecot did not start: {log.read_text() if log.exists() else 'no log'}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def private_server(prefix: str):
    """A session fixture's body: a private Dovecot in a temporary directory, yielded, then stopped, removed.
    Skipped when Dovecot is not installed, failed instead under GUICHET_REQUIRE_DOVECOT=1 (as in CI)."""
    import tempfile

    import pytest

    if not available():
        if os.environ.get("GUICHET_REQUIRE_DOVECOT") == "1":
            pytest.fail(f"GUICHET_REQUIRE_DOVECOT=1 but {BINARY} is missing")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)")
    # Not under pytest's tmp_path: its parents are private, and Dovecot's mail processes run as nobody.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    server = Dovecot(root).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
