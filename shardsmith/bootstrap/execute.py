"""Carry out a bootstrap plan with pymongo: the Python executor of bootstrap.steps.

Parts run in parallel (one thread each), so the slowest replica set, not
the sum, bounds the wait. Within a part, steps run in order; each polls
until it is done, already done, or fails with a reason. The mongosh
executor in templates/init.js reads the same steps; this one adds only
speed: a reconfig returns as soon as the primary has installed the new
config, while the command itself finishes in the background.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from ..clients import direct_client
from ..credentials import Credentials
from ..errors import ShardsmithError
from ..tls import ClientTLS
from ..wait import Deadline, is_transient, poll
from .probes import holds
from .steps import FROM_ENVIRONMENT, ROOT_PASSWORD, Probe, Step, fill_secrets, from_environment

Client = MongoClient[dict[str, Any]]

logger = logging.getLogger(__name__)
PROBE_TIMEOUT_MS = 500
RECONFIG_INSTALL_SECONDS = 30.0


@dataclass
class BootstrapReport:
    initiated: list[str] = field(default_factory=list)  # replica-set names initiated now
    primaries: dict[str, str] = field(default_factory=dict)  # set name -> member name
    users_created: list[str] = field(default_factory=list)  # parts where the root user was created
    shards_added: list[str] = field(default_factory=list)
    users_applied: list[str] = field(default_factory=list)  # application users created or given their roles now


class PlanRunner:
    """Runs the parts of one plan; `names` maps addresses back to member names for the report."""

    def __init__(self, steps: list[Step], *, credentials: Optional[Credentials], deadline: Deadline,
                 names: dict[str, str], password_hint: Optional[str] = None, tls: Optional[ClientTLS] = None):
        self.steps = steps
        self.credentials = credentials
        self.tls = tls
        self.deadline = deadline
        self.names = names
        self.password_hint = password_hint
        self.report = BootstrapReport()
        self._lock = threading.Lock()

    def run(self, parts: list[str]) -> BootstrapReport:
        if len(parts) == 1:
            self.run_part(parts[0])
        elif parts:
            with ThreadPoolExecutor(max_workers=len(parts)) as pool:
                for future in [pool.submit(self.run_part, part) for part in parts]:
                    future.result()
        return self.report

    def run_part(self, part: str) -> None:
        with PartRun(self, [s for s in self.steps if s.part == part]) as run:
            for step in run.steps:
                run.execute(step)

    def record(self, step: Step) -> None:
        if step.says:
            logger.info("%s", step.says)
        if step.reports:
            listed, entry = step.reports
            with self._lock:
                getattr(self.report, listed).append(entry)

    def record_primary(self, set_name: str, address: str) -> None:
        with self._lock:
            self.report.primaries[set_name] = self.names.get(address, address)


class PartRun:
    """One part's run: its clients, the addresses its awaits bound, the answers its probes read."""

    def __init__(self, runner: PlanRunner, steps: list[Step]):
        self.runner = runner
        self.steps = steps
        self.bindings: dict[str, str] = {}
        self.answers: dict[tuple[str, bool, str], dict[str, Any]] = {}
        self.clients: dict[tuple[str, bool], Client] = {}

    def __enter__(self) -> "PartRun":
        return self

    def __exit__(self, *exc: object) -> None:
        for client in self.clients.values():
            client.close()

    # -- reaching members ----------------------------------------------------------------------------
    def client(self, address: str, auth: bool, probing: bool = False) -> Client:
        key = (address, auth)
        if key not in self.clients:
            options = {"serverSelectionTimeoutMS": PROBE_TIMEOUT_MS} if probing else {}
            self.clients[key] = direct_client(address, self.runner.credentials if auth else None, tls=self.runner.tls,
                                              **options)
        return self.clients[key]

    def resolve(self, address: str) -> str:
        """A literal address, or the one an await bound (run again if it was forgotten)."""
        if not address.startswith("$"):
            return address
        if address not in self.bindings:
            self.execute(next(s for s in self.steps if s.bind == address))
        return self.bindings[address]

    def forget(self, address: str) -> None:
        self.bindings.pop(address, None)

    def fill(self, value: Any) -> Any:
        """The command with {"$secret": name} replaced by the secret's value."""
        return fill_secrets(value, self.secret)

    def secret(self, name: str) -> str:
        if name.startswith(FROM_ENVIRONMENT):
            return from_environment(name)
        if name != ROOT_PASSWORD or self.runner.credentials is None:
            raise ShardsmithError(f"the bootstrap plan needs the secret {name!r}, which is not available")
        return self.runner.credentials.password

    # -- the three kinds of step -----------------------------------------------------------------------
    def execute(self, step: Step) -> None:
        logger.debug("bootstrap %s: %s", step.part, step.what)
        getattr(self, f"_{step.op}")(step)

    def _command(self, step: Step) -> None:
        def attempt() -> Optional[str]:
            address = self.resolve(step.at[0])
            if step.unless and self.answer_holds(address, step.auth, step.unless):
                return "already"
            try:
                self.client(address, step.auth).admin.command(self.fill(step.command))
            except OperationFailure as exc:
                return self.classify(step, exc)
            return "done"

        if poll(attempt, until=self.runner.deadline, what=step.what) == "done":
            self.runner.record(step)

    def classify(self, step: Step, exc: OperationFailure) -> Optional[str]:
        """What a server error means for this step: done already, try again (None), or stop."""
        if exc.code in step.done:
            logger.debug("%s: %s", step.what, step.done[exc.code])
            return "already"
        if exc.code in step.stop:
            raise ShardsmithError(step.stop[exc.code], hint=self.runner.password_hint) from None
        if exc.code in step.again:
            self.forget(step.at[0])
            return None
        raise exc

    def _await(self, step: Step) -> None:
        until = step.until
        assert until is not None

        def round_() -> Optional[str]:
            for address in step.at:
                try:
                    if holds(self.client(address, False, probing=True).admin.command(until.command), until):
                        return address
                except PyMongoError as exc:  # this one is starting or down: ask the others
                    if not is_transient(exc):
                        raise
            if step.nudge:
                self.nudge(step.at[0], step.nudge)
            return None

        address = poll(round_, until=self.runner.deadline, what=step.what,
                       hint="check the members' logs (`shardsmith logs SET.N`)")
        if step.bind:
            self.bindings[step.bind] = address
            self.runner.record_primary(step.part, address)

    def nudge(self, address: str, command: dict[str, Any]) -> None:
        """Refused while not electable, before users exist, or while down: the await goes on."""
        try:
            self.client(address, self.runner.credentials is not None, probing=True).admin.command(command)
        except PyMongoError as exc:
            logger.debug("nudge %s at %s refused: %s", command, address, exc)

    def answer_holds(self, address: str, auth: bool, probe: Probe) -> bool:
        """Probes are read once per part run: the plan's guards check what earlier parts did, not this one."""
        key = (address, auth, repr(probe.command))
        if key not in self.answers:
            self.answers[key] = self.client(address, auth).admin.command(probe.command)
        return holds(self.answers[key], probe)

    def _reconfig(self, step: Step) -> None:
        settings, priorities = step.settings, step.priorities
        assert settings is not None and priorities is not None

        def attempt() -> bool:
            address = self.resolve(step.at[0])
            client = self.client(address, step.auth)
            try:
                config = client.admin.command("replSetGetConfig")["config"]
            except OperationFailure as exc:
                return bool(self.classify(step, exc))
            if configured(config, settings, priorities):
                return True
            wanted = reconfigured(config, settings, priorities)
            failed = threading.Event()
            threading.Thread(target=self._send_reconfig, args=(address, step.auth, wanted, failed), daemon=True).start()
            installed = poll(lambda: failed.is_set() or client.admin.command("replSetGetConfig")["config"]["version"]
                             >= wanted["version"], until=self.runner.deadline.within(RECONFIG_INSTALL_SECONDS),
                             what=f"{address} to install the new config", interval=0.02)
            if failed.is_set():
                self.forget(step.at[0])
            return installed and not failed.is_set()

        poll(attempt, until=self.runner.deadline, what=step.what)

    def _send_reconfig(self, address: str, auth: bool, config: dict[str, Any], failed: threading.Event) -> None:
        """replSetReconfig waits a heartbeat round for a majority; the caller only waits for the primary."""
        try:
            with direct_client(address, self.runner.credentials if auth else None, tls=self.runner.tls,
                               socketTimeoutMS=60000) as client:
                client.admin.command("replSetReconfig", config)
        except PyMongoError as exc:  # e.g. the primary stepped down: the caller finds it again and retries
            logger.debug("replSetReconfig on %s failed: %s", address, exc)
            failed.set()


def configured(config: dict[str, Any], settings: dict[str, Any], priorities: dict[str, float]) -> bool:
    """The config already carries these settings and priorities."""
    current = config.get("settings", {})
    return all(current.get(k) == v for k, v in settings.items()) and all(
        doc.get("priority", 1) == priorities.get(str(doc["_id"]), doc.get("priority", 1)) for doc in config["members"])


def reconfigured(config: dict[str, Any], settings: dict[str, Any], priorities: dict[str, float]) -> dict[str, Any]:
    """The next config version: these settings and priorities, everything else as it is."""
    new = dict(config, settings={**config.get("settings", {}), **settings}, version=config["version"] + 1)
    new["members"] = [dict(doc, priority=priorities.get(str(doc["_id"]), doc.get("priority", 1)))
                      for doc in config["members"]]
    return new
