# Small helpers shared by the integration tests.

import threading

from pymongo import monitoring

def plan_stages(explain: dict) -> list[str]:
    """The stage names of a find explain's winning plan, outermost first."""
    stages = []
    stage = explain["queryPlanner"]["winningPlan"]
    while stage:
        stages.append(stage["stage"])
        stage = stage.get("inputStage")
    return stages


def count_matching(coll, filter=None) -> int:
    """Documents matching `filter`, counted from a find (pymongo's count_documents needs
    $group, which belongs to the aggregation issue; tests whose subject is not counting use
    this instead so they fail only for what they test)."""
    return sum(1 for _ in coll.find(filter or {}, {"_id": 1}))


def started_test_commands_server(root):
    """A generator for a module fixture: a `tessera serve --enable-test-commands` with its data
    and log under `root`, started; after the module, stopped, and it must exit cleanly."""
    from tessera_server import TesseraServer

    instance = TesseraServer(root / "db", root / "server.log", extra_args=["--enable-test-commands"])
    instance.start()
    yield instance
    code = instance.stop()
    assert code == 0, f"tessera exited with {code} after SIGTERM; log tail:\n{instance.log_tail()}"


class StartedCommands(monitoring.CommandListener):
    """A command listener that records the names of the commands a client starts (`names`)
    and ignores their outcomes; subclasses may look at replies."""

    def __init__(self):
        self.names = []

    def started(self, event):
        self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


class InsertAttempts(monitoring.CommandListener):
    """Every insert the driver sent (`sent`), the code of each one that failed
    (`failed_codes`) and the reply of each one that succeeded (`replies`)."""

    def __init__(self) -> None:
        self.sent = 0
        self.failed_codes: list[int | None] = []
        self.replies: list[dict] = []
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.sent = 0
            self.failed_codes.clear()
            self.replies.clear()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert":
            with self.lock:
                self.sent += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name == "insert":
            with self.lock:
                self.replies.append(dict(event.reply))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if event.command_name == "insert":
            with self.lock:
                self.failed_codes.append(event.failure.get("code") if isinstance(event.failure, dict) else None)
