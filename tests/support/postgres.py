"""A throwaway PostgreSQL server for the test run.

Started with the server binaries from the system (Debian's postgresql-15), in a fresh
temporary directory, on a free loopback port, as the `postgres` system user when we are
root (initdb and postgres refuse to run as root). Stopped and removed at the end.

Statements go through one psycopg connection (not a `psql` process each). Copying a
template takes the server 0.1–0.4 s, so :meth:`PostgresServer.scratch_database` can keep
a small stock of copies made ahead on a background thread (``stock=``), and drops the
databases it made on that thread too: a test gets a fresh copy, made before it asked.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg


def find_bindir() -> Path:
    override = os.environ.get("DELIBERATE_PG_BINDIR")
    candidates = [override] if override else sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    for candidate in reversed(candidates):
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise RuntimeError(
        "PostgreSQL server binaries not found; run `make test` (it installs postgresql-15) "
        "or `apt-get install postgresql-15`"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="deliberate-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.started = False
        # Creating and dropping scratch databases, in order, on one background thread
        # with its own connection; copies made ahead, by template.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-scratch")
        self._worker_connection = threading.local()
        self._stock: dict[str, deque[Future[str]]] = {}
        self._drop_errors: list[BaseException] = []
        self._connection: psycopg.Connection | None = None

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        if self.as_root:
            command = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(argv)]
        else:
            command = list(argv)
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresServer:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o700)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = " ".join(
            (
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.root}",
                "-c max_connections=200",
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            )
        )
        result = self._run(
            str(self.bindir / "pg_ctl"),
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            check=False,
        )
        if result.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{log}")
        self.started = True
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not become ready in 30 s")

    def url(self, database: str, driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def _connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        )

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement (autocommit: CREATE and DROP DATABASE work too)."""
        if database != "postgres":
            with self._connect(database) as connection:
                connection.execute(statement)  # type: ignore[arg-type]
            return
        if self._connection is None or self._connection.closed:
            self._connection = self._connect()
        self._connection.execute(statement)  # type: ignore[arg-type]

    def _background_sql(self, statement: str) -> None:
        """:meth:`sql` on the worker thread, through the worker's own connection."""
        connection = getattr(self._worker_connection, "value", None)
        if connection is None or connection.closed:
            connection = self._worker_connection.value = self._connect()
        connection.execute(statement)  # type: ignore[arg-type]

    def _close_worker_connection(self) -> None:
        connection = getattr(self._worker_connection, "value", None)
        if connection is not None:
            connection.close()

    def _create(self, name: str, template: str | None) -> str:
        self._background_sql(
            f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")
        )
        return name

    def _order(self, template: str | None, prefix: str) -> Future[str]:
        name = f"{prefix}_{uuid.uuid4().hex[:16]}"
        return self._worker.submit(self._create, name, template)

    @contextmanager
    def scratch_database(
        self, template: str | None = None, *, prefix: str = "t", stock: int = 0
    ) -> Iterator[str]:
        """A new database (a copy of ``template``, or empty), dropped at the end; its name.

        With ``stock``, that many more copies of ``template`` are kept ready for the next
        callers (only for a template that outlives them: a copy being made holds it)."""
        if stock and template:
            ready = self._stock.setdefault(template, deque())
            ordered = ready.popleft() if ready else self._order(template, prefix)
            while len(ready) < stock:
                ready.append(self._order(template, prefix))
        else:
            ordered = self._order(template, prefix)
        name = ordered.result()
        try:
            yield name
        finally:
            dropped = self._worker.submit(
                self._background_sql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )
            dropped.add_done_callback(self._note_drop_error)

    def _note_drop_error(self, dropped: Future[None]) -> None:
        """A drop that failed on the worker thread fails the run at :meth:`stop`."""
        if not dropped.cancelled() and dropped.exception() is not None:
            self._drop_errors.append(dropped.exception())  # type: ignore[arg-type]

    def stop(self) -> None:
        # Copies still in stock are not dropped one by one: the server goes with them.
        self._worker.submit(self._close_worker_connection)
        self._worker.shutdown(wait=True)
        if self._connection is not None:
            self._connection.close()
        if self.started:
            self._run(
                str(self.bindir / "pg_ctl"),
                "stop",
                "-m",
                "immediate",
                "-D",
                str(self.data),
                check=False,
            )
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)
        if self._drop_errors:
            raise RuntimeError(f"dropping scratch databases failed: {self._drop_errors}")
