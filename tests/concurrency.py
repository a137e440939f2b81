"""Real concurrency on PostgreSQL: each call in its own thread with its own connection."""

import threading
from collections.abc import Callable

from django.db import connection

from common.errors import ApplicationError


def race(*calls: Callable[[], object]) -> list[tuple[str, object]]:
    """Run the calls at once, one thread and one database connection each; return
    ("ok", result) or ("error", ApplicationError) per call, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, object] | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except ApplicationError as error:
            outcomes[index] = ("error", error)
        except Exception as crash:  # reported by the assertions below, never swallowed
            outcomes[index] = ("crash", crash)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes
