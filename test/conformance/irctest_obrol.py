"""irctest controller for Obrol: irctest starts a fresh Obrol for every test,
with the configuration that test asks for, as it does for Ergo or InspIRCd.

Usage (from an irctest checkout, e.g. /tmp/irctest; build Obrol first with
`npm run build`):

    cd /tmp/irctest
    PYTHONPATH=/path/to/obrol/test/conformance \\
      python3 -m pytest --controller irctest_obrol irctest/server_tests/lusers.py

    # against another checkout's build (e.g. a helper's worktree), with a
    # per-test time limit and a results file:
    OBROL_REPO=/work/wt/hN PYTHONPATH=/path/to/obrol/test/conformance \
      python3 -m pytest --controller irctest_obrol -p irctest_obrol_results \
      --obrol-test-timeout 60 --obrol-results /tmp/r.txt irctest/server_tests/sasl.py

test/conformance/irctest-full.sh wraps this (results per file, totals).

Environment:
  OBROL_REPO   the Obrol checkout whose dist/cli/main.js is started
               (default: the folder two levels above this file). Point it at
               your own worktree's build: OBROL_REPO=/work/wt/hN.
  OBROL_NODE   the node binary (default: node)
  OBROL_IRCTEST_STORE  sqlite (default: a file in the test's temporary folder)
               or memory
  IRCTEST_CAPABILITIES, IRCTEST_OPTIONAL_BEHAVIORS, IRCTEST_SASL_MECHS
               replace what the controller claims (space-separated names, as
               irctest spells them: capability values such as
               "draft/multiline", OptionalBehaviors member names such as
               MULTI_JOIN, mechanism names such as PLAIN). A claimed feature
               that is missing fails its tests instead of skipping them.
  IRCTEST_EXTRA_CAPABILITIES, IRCTEST_EXTRA_OPTIONAL_BEHAVIORS,
  IRCTEST_EXTRA_SASL_MECHS
               add to the defaults instead, e.g.
               IRCTEST_EXTRA_CAPABILITIES=draft/multiline for a feature
               being built (so its tests fail rather than skip).
  IRCTEST_DEBUG_LOGS=1  (irctest's own) stream the server's log to stdout;
               otherwise it goes to obrol.log in the test's temporary folder
               and its last lines are shown if the server dies at start.

Per test it writes obrol.yaml into a temporary folder: server name
My.Little.Server, the oper operuser/operpassword (from conf/irctest.yaml),
no flood control or connection limits for loopback, and what the test asks
for: a server password (scrypt hash, as `obrol hash-password` makes it), TLS
on the test's port with a self-signed certificate, a WebSocket listener,
faketime (libfaketime's `faketime`, when installed), and the account
registration options of irctest's TestCaseControllerConfig.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from pathlib import Path
import shutil
import subprocess
import time
from typing import Any, Dict, FrozenSet, Iterator, Optional, Set, Tuple, Type

import yaml

# libfaketime for Node, a multithreaded process (Debian package libfaketime).
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")

from irctest import patma
from irctest.basecontrollers import (
    BaseServerController,
    DirectoryBasedController,
    ProcessStopped,
)
from irctest.cases import BaseServerTestCase
from irctest.specifications import Capabilities, OptionalBehaviors

HERE = Path(__file__).resolve().parent

# What Obrol implements, in irctest's names (kept in step with
# test/conformance/irctest.sh). A feature claimed here that does not work
# fails its tests; one left out is skipped when the server lacks it.
DEFAULT_CAPABILITIES = (
    "account-notify account-tag away-notify batch echo-message extended-join "
    "extended-monitor labeled-response message-tags multi-prefix server-time setname"
)
DEFAULT_OPTIONAL_BEHAVIORS = (
    "BAN_EXCEPTION_MODE CAP_REQ_MINUS INVITE_EXCEPTION_MODE INVITE_LIST "
    "INVITE_OVERRIDES_LIMIT METADATA_BEFORE_CONNECT MULTI_JOIN MULTI_KICK "
    "MULTI_NAMES_COMMAND MULTI_PRIVMSG NO_CTCP"
)
DEFAULT_SASL_MECHS = "PLAIN EXTERNAL SCRAM-SHA-256"

# The hash of "operpassword" (the same as conf/irctest.yaml).
OPER_PASSWORD_HASH = (
    "scrypt$16384$8$1$gH47KHN309hb1ncBbz9zGg==$"
    "EyV8+KBaT6SmtG9XqOmR3/GXSGJRlHMbm2W4c6aCIiE="
)


def _env_list(name: str, default: str) -> list:
    """$NAME replaces the default; $NAME with EXTRA_ after IRCTEST_ adds to it."""
    value = os.environ.get(name)
    extra = os.environ.get(name.replace("IRCTEST_", "IRCTEST_EXTRA_", 1), "")
    return (default if value is None else value).split() + extra.split()


def _capabilities() -> FrozenSet[Capabilities]:
    return frozenset(
        Capabilities(c) for c in _env_list("IRCTEST_CAPABILITIES", DEFAULT_CAPABILITIES)
    )


def _optional_behaviors() -> FrozenSet[OptionalBehaviors]:
    return frozenset(
        OptionalBehaviors[b.upper()]
        for b in _env_list("IRCTEST_OPTIONAL_BEHAVIORS", DEFAULT_OPTIONAL_BEHAVIORS)
    )


def hash_password(password: str) -> str:
    """The scrypt hash src/config/password.ts reads (scrypt$N$r$p$salt$hash),
    made here rather than with `obrol hash-password` to spare a node start."""
    salt = os.urandom(16)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=16384, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32
    )
    return "scrypt$16384$8$1$%s$%s" % (
        base64.b64encode(salt).decode(),
        base64.b64encode(key).decode(),
    )


# Ports handed out in this process. irctest keeps them in the shared file
# /tmp/irctest_ports.json, locked only under pytest-xdist: several runs at
# once (several worktrees) then corrupt it and tests die on a JSON error.
_USED_PORTS: Set[Tuple[str, int]] = set()


class ObrolController(BaseServerController, DirectoryBasedController):
    software_name = "Obrol"
    _port_wait_interval = 0.02
    supported_sasl_mechanisms: Set[str] = set(_env_list("IRCTEST_SASL_MECHS", DEFAULT_SASL_MECHS))
    supports_sts = True
    extban_mute_char = None  # no extbans yet
    nickserv = "NickServ"
    capabilities = _capabilities()
    optional_behaviors = _optional_behaviors()
    isupport: Dict[str, Any] = {
        "CASEMAPPING": "rfc1459",
        "CHANTYPES": "#",
        "INVEX": patma.ANYOPTSTR,
        "EXCEPTS": patma.ANYOPTSTR,
        "MONITOR": patma.ANYSTR,
        "PREFIX": "(ov)@+",
        "STATUSMSG": patma.ANYSTR,
        "TARGMAX": patma.ANYSTR,
        "UTF8ONLY": None,
        "WHOX": None,
    }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.repo = Path(os.environ.get("OBROL_REPO") or HERE.parent.parent).resolve()
        self.node = os.environ.get("OBROL_NODE", "node")
        self._log_path: Optional[Path] = None

    @contextlib.contextmanager
    def _used_ports(self) -> Iterator[Set[Tuple[str, int]]]:
        yield _USED_PORTS

    # -- configuration ------------------------------------------------------

    def _config(
        self,
        port: int,
        password: Optional[str],
        ssl: bool,
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
        faketime: Optional[str] = None,
    ) -> Dict[str, Any]:
        assert self.directory
        tc = self.test_config
        motd = self.repo / "conf" / "motd.txt"
        store = os.environ.get("OBROL_IRCTEST_STORE", "sqlite")
        config: Dict[str, Any] = {
            "server": {
                "name": "My.Little.Server",
                "description": "test server",
                "motd_file": str(motd) if motd.exists() else None,
                "password": hash_password(password) if password is not None else None,
            },
            "listen": {"host": "127.0.0.1", "port": port},
            "websocket": None,
            "opers": [
                {"name": "operuser", "password": OPER_PASSWORD_HASH, "hosts": ["*@*"]}
            ],
            "log": {"level": "debug" if self.debug_mode else "warn", "format": "json"},
            # The suite makes many short connections at once from loopback.
            "classes": [
                {
                    "name": "irctest",
                    "hosts": ["127.0.0.0/8", "::1"],
                    "max_per_ip": 100000,
                    "max_per_cidr": 100000,
                    "connects_per_minute": 100000,
                    "flood_rate": 0,
                }
            ],
            "cloak": {"secret": "irctest-cloak-key-not-secret"},
            # irctest stops the server after every test: no wait for clients.
            "timeouts": {"shutdown_grace": 0},
            "store": (
                {"backend": "memory"}
                if store == "memory"
                else {"backend": "sqlite", "path": str(self.directory / "obrol.db")}
            ),
            "accounts": {
                "enabled": True,
                "registration": True,
                "register_before_connect": tc.account_registration_before_connect,
                "email_required": tc.account_registration_requires_email,
                # As Ergo's controller: an address required means verified.
                "email_verification": tc.account_registration_requires_email,
                # Tests try wrong passwords and expect the next answer at once.
                "login_backoff": 0,
                # irctest registers accounts with passwords like "bar", many from 127.0.0.1.
                "password_min_length": 1,
                "registrations_per_hour": 0,
            },
            # Sable's expiry test runs with a fast clock and no history server
            # (sable_history_server False): the history of a server without a
            # persistent store lasts about a minute there, so retention is a
            # minute here. With the history server (its PostgreSQL class) and
            # in every other test, history is kept as configured by default.
            "history": {
                "enabled": True,
                **({"max_age": 60} if faketime and not getattr(tc, "sable_history_server", False) else {}),
            },
        }
        if ssl:
            # irctest wants TLS on the test's own port; the plain listener
            # moves to a spare port nobody uses.
            self.gen_ssl()
            config["tls"] = {
                "host": "127.0.0.1",
                "port": port,
                "cert": str(self.pem_path),
                "key": str(self.key_path),
            }
            config["listen"]["port"] = self.get_hostname_and_port()[1]
        if websocket_hostname or websocket_port:
            config["websocket"] = {
                "host": "127.0.0.1",
                "port": websocket_port,
                "tls": bool(ssl),
                "web_client": False,
                "origins": ["*"],
            }
        if tc.ergo_config:
            self._apply_ergo_config(config)
        return config

    def _apply_ergo_config(self, config: Dict[str, Any]) -> None:
        """Some tests change Ergo's configuration through a function on its
        dict; run it on an Ergo-shaped stand-in and carry over the keys Obrol
        has an equivalent for."""
        ergo: Dict[str, Any] = {
            "server": {"listeners": {}},
            "accounts": {"multiclient": {}, "registration": {}},
            "history": {},
        }
        assert self.test_config.ergo_config
        self.test_config.ergo_config(ergo)
        modes = ergo["accounts"].get("default-user-modes")
        if modes is not None:
            config["server"]["default_user_modes"] = modes
        always_on = ergo["accounts"]["multiclient"].get("always-on")
        if always_on is not None:
            config["accounts"]["always_on"] = always_on
        # casemapping "precis" and the rest have no Obrol equivalent.

    # -- process --------------------------------------------------------------

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str] = None,
        websocket_port: Optional[int] = None,
    ) -> None:
        assert self.proc is None
        main = self.repo / "dist" / "cli" / "main.js"
        if not main.exists():
            raise RuntimeError(f"{main} does not exist: run `npm run build` in {self.repo}")
        self.port = port
        self.hostname = hostname
        self.create_config()
        assert self.directory
        config = self._config(port, password, ssl, websocket_hostname, websocket_port, faketime)
        config_path = self.directory / "obrol.yaml"
        self.config_path = config_path
        with config_path.open("w") as fd:
            yaml.safe_dump(config, fd, sort_keys=False)

        env = dict(os.environ)
        # The config file says everything; no OBROL_* override from outside.
        for key in list(env):
            if key.startswith("OBROL_") and key not in ("OBROL_REPO", "OBROL_NODE"):
                del env[key]
        faketime_cmd: list = []
        if faketime and (LIBFAKETIME.exists() or shutil.which("faketime")):
            if LIBFAKETIME.exists():
                # The library itself: the `faketime` wrapper's shared
                # semaphore sometimes fails (sem_open: File exists) when
                # servers start one after another.
                env["LD_PRELOAD"] = str(LIBFAKETIME)
                env["FAKETIME"] = faketime
            else:
                faketime_cmd = ["faketime", "-f", faketime]
            # Only the wall clock runs fast: Node's timers (ping, timeouts)
            # keep real time, so clients are not dropped for slow PONGs.
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            self.faketime_enabled = True

        command = [*faketime_cmd, self.node, str(main), "--config", str(config_path)]
        if self.debug_mode:
            self.proc = self.execute(command, env=env, cwd=str(self.directory))
        else:
            self._log_path = self.directory / "obrol.log"
            log = self._log_path.open("wb")
            self.proc = self.execute(
                command, env=env, cwd=str(self.directory), stdout=log, stderr=log
            )
            log.close()
        # Built-in services start with the server: nothing else to run.

    def wait_for_port(self) -> None:
        try:
            super().wait_for_port()
        except ProcessStopped as e:
            tail = ""
            if self._log_path is not None and self._log_path.exists():
                tail = "\n".join(self._log_path.read_text(errors="replace").splitlines()[-20:])
            raise ProcessStopped(f"{e}; obrol said:\n{tail}") from None

    def wait_for_services(self) -> None:
        pass  # NickServ and ChanServ are part of the server

    # -- accounts -----------------------------------------------------------

    def registerUser(
        self,
        case: BaseServerTestCase,
        username: str,
        password: Optional[str] = None,
    ) -> None:
        """Register an account named `username` with the server's own
        REGISTER (draft/account-registration), after connection registration
        with that nick (account name "*" = the current nick), as a user would."""
        assert password
        # A password too long for a REGISTER line (sasl.py's 800-byte PLAIN
        # test) is added the way an operator would: `obrol account-add`,
        # beside the running server, on its data file.
        if len(f"REGISTER * * :{password}\r\n".encode()) > 512 and os.environ.get("OBROL_IRCTEST_STORE", "sqlite") != "memory":
            main = self.repo / "dist" / "cli" / "main.js"
            done = subprocess.run(
                [self.node, str(main), "account-add", username, "--config", str(self.config_path)],
                input=password.encode(),
                capture_output=True,
                timeout=30,
            )
            assert done.returncode == 0, f"obrol account-add {username}: {done.stderr.decode()}"
            return
        client = case.addClient(show_io=False)
        case.sendLine(client, "CAP LS 302")
        case.sendLine(client, "CAP REQ :draft/account-registration")
        case.sendLine(client, "NICK " + username)
        case.sendLine(client, "USER r e g :user")
        case.sendLine(client, "CAP END")
        while case.getRegistrationMessage(client).command != "001":
            pass
        case.getMessages(client)
        case.sendLine(client, f"REGISTER * * :{password}")
        # The answer: REGISTER SUCCESS, FAIL REGISTER, or an error numeric
        # (421 without REGISTER, 417 for a line too long...).
        deadline = time.monotonic() + 10
        reply = None
        while reply is None and time.monotonic() < deadline:
            for msg in case.getMessages(client):
                if (
                    msg.command == "REGISTER"
                    or (msg.command == "FAIL" and msg.params[:1] == ["REGISTER"])
                    or (msg.command.isdigit() and 400 <= int(msg.command) < 600)
                ):
                    reply = msg
                    break
        assert reply is not None, f"no answer to REGISTER for {username}"
        assert reply.command == "REGISTER" and reply.params[:2] == ["SUCCESS", username], (
            f"could not register account {username}: {reply}"
        )
        case.sendLine(client, "QUIT")
        case.assertDisconnected(client)


def get_irctest_controller_class() -> Type[ObrolController]:
    return ObrolController
