"""Independent parts of one job in forked processes, so that they use the machine's cores.

A forked child shares the parent's memory (the dataset, the frames made so
far) without copying or pickling it; only its result travels back, pickled
through a pipe, with the warnings it raised. Forking is used on Linux only:
where it is unsafe or missing (macOS, Windows) the parts run one after
another in this process, with the same results.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")

#: A warning as it travels from a child: message, category, file and line.
_Caught = tuple[str, type[Warning], str, int]


def resolve_jobs(n_jobs: int | None) -> int:
    """The processes ``n_jobs`` asks for: ``None`` is 1, ``-1`` every core this process may use.

    Examples
    --------
    >>> resolve_jobs(None), resolve_jobs(3), resolve_jobs(-1) >= 1
    (1, 3, True)
    """
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(
            f"n_jobs must be a whole number of processes >= 1, -1 for every core, or None "
            f"for one; found {n_jobs!r}"
        )
    return available_cores() if n_jobs == -1 else n_jobs


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether parts of a job may run in forked children here (Linux)."""
    return sys.platform.startswith("linux")


class RemoteTraceback(Exception):
    """The traceback of an error raised in a child process (the ``__cause__`` of that error)."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0]) if self.args else ""


class Forked(Generic[T]):
    """A call running in a forked child process; :meth:`result` waits for what it returned.

    An error raised by the call is raised again by :meth:`result` (its child
    traceback as ``__cause__``); the warnings it issued are issued again in
    this process, under this process's warning filters. The child ignores
    Ctrl-C: the parent stops its children with :meth:`cancel`.

    Examples
    --------
    >>> child = Forked(lambda: sum(range(10)))
    >>> child.result()
    45
    """

    def __init__(self, call: Callable[[], T]) -> None:
        context = multiprocessing.get_context("fork")
        self.connection: Connection
        self.connection, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_run_child, args=(call, sender), daemon=True)
        with warnings.catch_warnings():
            # Python 3.12+ warns that forking a process with threads may deadlock the
            # child; the children here take no lock a thread of the parent may hold.
            warnings.filterwarnings("ignore", ".*fork", DeprecationWarning)
            self._process.start()
        sender.close()

    def result(self) -> T:
        """Wait for the call to end; its return value, or its error raised here."""
        try:
            outcome, value, remote, caught = self.connection.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(
                f"a worker process ended without an answer (exit code {self._process.exitcode})"
            ) from None
        finally:
            self.connection.close()
        self._process.join()
        for message, category, filename, lineno in caught:
            warnings.warn_explicit(message, category, filename, lineno)
        if outcome == "raised":
            raise value from RemoteTraceback(remote)
        return value

    def cancel(self) -> None:
        """Stop the child if it still runs, and wait for it."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self.connection.close()


def _run_child(call: Callable[[], object], sender: Connection) -> None:
    """In the child: make the call, send back its outcome and the warnings it issued."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    remote = ""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")  # the parent's filters decide, when issued there
        try:
            outcome, value = "returned", call()
        except Exception as error:
            remote = traceback.format_exc()
            outcome, value = "raised", _picklable(error)
    caught = [_travelling(record) for record in records]
    try:
        sender.send((outcome, value, remote, caught))
    except Exception as error:  # the result itself does not pickle
        failure = RuntimeError(f"the result of a worker process could not be sent back: {error}")
        sender.send(("raised", failure, traceback.format_exc(), caught))
    sender.close()


def _picklable(error: Exception) -> Exception:
    """``error`` if it survives pickling, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _travelling(record: warnings.WarningMessage) -> _Caught:
    """A recorded warning as picklable parts (a category that does not pickle: UserWarning)."""
    category: type[Warning] = record.category
    try:
        pickle.dumps(category)
    except Exception:
        category = UserWarning
    return (str(record.message), category, record.filename, record.lineno)
