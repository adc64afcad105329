"""The ``deliberate`` command. Each subcommand exits 0 on success, and non-zero with a
one-line reason on failure."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from deliberate.config import ConfigError, Settings

T = TypeVar("T")


class CommandError(Exception):
    """A failure to report in one line."""


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise CommandError(f"configuration: {exc}") from exc


def _with_database(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(database)`` in a fresh event loop, disposing of the engine after. A
    database that cannot be reached (or refuses) is reported in one line."""
    from sqlalchemy.exc import DBAPIError

    from deliberate.db import Database, describe_error

    async def run() -> T:
        database = Database(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except (DBAPIError, OSError) as exc:  # OSError: asyncpg's refused or unresolved host
        raise CommandError(f"database: {describe_error(exc)}") from exc


def _read_input(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc


def _migrate(settings: Settings) -> None:
    from deliberate.db import describe_error
    from deliberate.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except Exception as exc:
        raise CommandError(f"migration failed: {describe_error(exc)}") from exc


def cmd_migrate(_args: argparse.Namespace) -> None:
    _migrate(_settings())
    print("database is up to date")


def cmd_run(args: argparse.Namespace) -> None:
    import uvicorn

    settings = _settings()
    _migrate(settings)
    print(f"Deliberate ({settings.env}) serving on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(
        "deliberate.asgi:create",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,  # client addresses come from DELIBERATE_TRUSTED_PROXIES only
        server_header=False,
        log_level="info" if settings.debug else "warning",
    )


def cmd_demo(args: argparse.Namespace) -> None:
    from deliberate.demo import database_is_empty, load_demo

    settings = _settings()
    if settings.production:
        raise CommandError("demo data is for development only (DELIBERATE_ENV=production)")

    async def load(database: Any) -> Any:
        if args.if_empty and not await database_is_empty(database):
            return None
        return await load_demo(database, settings)

    report = _with_database(settings, load)
    if report is None:
        print("demo: the database already has data; nothing loaded")
        return
    print("demo data loaded:")
    for line in report.lines:
        print(f"  {line}")


def _read_password(args: argparse.Namespace) -> str:
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("no password on standard input")
        return password
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CommandError("the two passwords differ")
    return first


def cmd_users_create(args: argparse.Namespace) -> None:
    from deliberate.accounts.admin_tasks import TaskError, create_user

    settings = _settings()
    password = _read_password(args)
    try:
        user = _with_database(
            settings,
            lambda database: create_user(
                database,
                login=args.email,
                password=password,
                role=args.role,
                display_name=args.name,
                area_code=args.area,
            ),
        )
    except TaskError as exc:
        raise CommandError(str(exc)) from exc
    print(f"created {args.role} {user.login}")
    if args.role in ("admin", "officer"):
        print("two-factor sign-in will be set up at the first privileged page")


def cmd_audit_verify(_args: argparse.Namespace) -> None:
    from deliberate.audit.services import verify

    async def check(database: Any) -> Any:
        async with database.read() as session:
            return await verify(session)

    checked, broken = _with_database(_settings(), check)
    if broken is not None:
        raise CommandError(f"broken at event {broken.seq}: {broken.reason}")
    print(f"audit log intact: {checked} events")


def cmd_minutes_verify(args: argparse.Namespace) -> None:
    from deliberate.minutes.verification import check
    from deliberate.web.i18n import using_locale

    settings = _settings()
    data = _read_input(args.file)
    checked = _with_database(settings, lambda database: check(database, settings, data))
    if not checked.ok or checked.found is None:
        with using_locale("en"):  # like the command's other messages
            reason = str(checked.explanation)
        raise CommandError(f"{args.file}: {checked.outcome.value}: {reason}")
    minutes, verdict = checked.found.minutes, checked.verdict
    status = "superseded by a later version" if checked.superseded else "current version"
    print(f"authentic: {checked.found.consultation.title} (consultation {minutes.consultation_id})")
    print(f"minutes version {minutes.version} ({status})")
    when = verdict.signed_at.isoformat() if verdict.signed_at else "?"
    print(f"signed by {verdict.signer_name} at {when}")
    print(f"sha256 {verdict.document_sha256}")


def cmd_areas_import(args: argparse.Namespace) -> None:
    from deliberate.identity.csvfiles import CsvProblem
    from deliberate.identity.services import import_areas

    settings = _settings()
    data = _read_input(args.file)
    try:
        report = _with_database(settings, lambda database: import_areas(database, data))
    except CsvProblem as exc:
        raise CommandError(f"{args.file}: {exc}") from exc
    if report.errors:
        for error in report.errors:
            print(f"{args.file}:{error.line}: {error.message}", file=sys.stderr)
        count = len(report.errors)
        raise CommandError(f"{count} {'problem' if count == 1 else 'problems'}; nothing imported")
    print(f"read as {report.encoding}: {report.created} areas created, {report.updated} updated")


def cmd_census_import(args: argparse.Namespace) -> None:
    from deliberate.errors import Invalid
    from deliberate.identity.census import import_roll
    from deliberate.identity.csvfiles import CsvProblem

    settings = _settings()
    data = _read_input(args.file)
    try:
        report = _with_database(
            settings,
            lambda database: import_roll(
                database, settings.census_key, data, args.area, actor=None
            ),
        )
    except (CsvProblem, Invalid) as exc:
        raise CommandError(f"{args.file}: {exc}") from exc
    for error in report.rejected:  # reasons only: the numbers are never printed
        print(f"{args.file}:{error.line}: rejected: {error.message}", file=sys.stderr)
    print(
        f"read as {report.encoding}: {report.accepted} accepted, {len(report.rejected)} "
        f"rejected, {len(report.duplicates)} duplicates"
    )


def cmd_letters_issue(args: argparse.Namespace) -> None:
    from deliberate.accounts.tokens import Keys
    from deliberate.errors import Invalid
    from deliberate.identity.letters import issue, render_pdf

    settings = _settings()
    out = Path(args.out)
    if not out.parent.is_dir():
        raise CommandError(f"no such folder: {out.parent}")
    public_url = (args.site_url or settings.public_url).rstrip("/")
    keys = Keys(settings.secret_key)
    try:
        letters = _with_database(
            settings, lambda database: issue(database, keys, args.area, args.count, actor=None)
        )
    except Invalid as exc:
        raise CommandError(str(exc)) from exc
    out.write_bytes(render_pdf(letters, public_url, settings.time_zone))
    print(
        f"{len(letters.codes)} letters for {letters.area.code} (batch {letters.batch}, "
        f"valid until {letters.expires_at.date()}) written to {out}"
    )


def cmd_retention_purge(args: argparse.Namespace) -> None:
    from deliberate.identity.retention import purge

    counts = _with_database(_settings(), lambda database: purge(database, dry_run=args.dry_run))
    verb = "would remove" if args.dry_run else "removed"
    print(
        f"{verb}: "
        + ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
    )


def cmd_minutes_sweep(args: argparse.Namespace) -> None:
    from deliberate.minutes.sweep import GRACE, sweep

    settings = _settings()
    names = _with_database(
        settings, lambda database: sweep(settings, database, remove=not args.dry_run)
    )
    verb = "would remove" if args.dry_run else "removed"
    hours = GRACE.total_seconds() / 3600
    print(f"{verb} {len(names)} unreferenced files older than {hours:g} h")
    for name in names:
        print(f"  {name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deliberate", description="Deliberate: participatory deliberation platform"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="apply migrations, then serve the application")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on")
    run.add_argument("--port", type=int, default=8000, help="port to listen on")
    run.add_argument("--workers", type=int, default=1, help="worker processes")
    run.set_defaults(func=cmd_run)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    demo = commands.add_parser("demo", help="load the demonstration data (development only)")
    demo.add_argument("--if-empty", action="store_true", help="load only into an empty database")
    demo.set_defaults(func=cmd_demo)

    users = commands.add_parser("users", help="manage accounts")
    users_commands = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    create = users_commands.add_parser(
        "create", help="create a confirmed account (password from stdin or a prompt)"
    )
    create.add_argument("--email", required=True, help="e-mail address or mobile number")
    create.add_argument("--role", required=True, choices=("resident", "admin", "officer"))
    create.add_argument("--area", help="area code (required for an officer)")
    create.add_argument("--name", help="display name (default: the part before @)")
    create.set_defaults(func=cmd_users_create)

    areas = commands.add_parser("areas", help="the area tree")
    areas_commands = areas.add_subparsers(dest="areas_command", required=True, metavar="COMMAND")
    areas_import = areas_commands.add_parser(
        "import", help="import or update areas from CSV (code,name,kind,parent_code[,name_en])"
    )
    areas_import.add_argument("file", help="CSV file, UTF-8 or GB18030/GBK")
    areas_import.set_defaults(func=cmd_areas_import)

    census = commands.add_parser("census", help="resident rolls")
    census_commands = census.add_subparsers(dest="census_command", required=True, metavar="COMMAND")
    census_import = census_commands.add_parser(
        "import", help="import a resident roll (CSV: id_number,area_code); numbers become tags"
    )
    census_import.add_argument("file", help="CSV file, UTF-8 or GB18030/GBK")
    census_import.add_argument("--area", required=True, help="the area the roll covers")
    census_import.set_defaults(func=cmd_census_import)

    letters = commands.add_parser("letters", help="verification letters")
    letters_commands = letters.add_subparsers(
        dest="letters_command", required=True, metavar="COMMAND"
    )
    letters_issue = letters_commands.add_parser(
        "issue", help="create one-time codes and a PDF with one letter per page"
    )
    letters_issue.add_argument("--area", required=True, help="area code")
    letters_issue.add_argument("--count", required=True, type=int, help="number of letters")
    letters_issue.add_argument("--out", required=True, help="the PDF file to write")
    letters_issue.add_argument(
        "--site-url", help="public address for the QR codes (default DELIBERATE_PUBLIC_URL)"
    )
    letters_issue.set_defaults(func=cmd_letters_issue)

    retention = commands.add_parser("retention", help="data retention")
    retention_commands = retention.add_subparsers(
        dest="retention_command", required=True, metavar="COMMAND"
    )
    purge = retention_commands.add_parser(
        "purge", help="remove verification evidence and used codes past their retention"
    )
    purge.add_argument("--dry-run", action="store_true", help="count only, remove nothing")
    purge.set_defaults(func=cmd_retention_purge)

    audit = commands.add_parser("audit", help="the audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = audit_commands.add_parser("verify", help="check the whole hash chain")
    verify.set_defaults(func=cmd_audit_verify)

    minutes = commands.add_parser("minutes", help="signed minutes")
    minutes_commands = minutes.add_subparsers(
        dest="minutes_command", required=True, metavar="COMMAND"
    )
    minutes_verify = minutes_commands.add_parser(
        "verify", help="check that a PDF is an authentic published version of minutes"
    )
    minutes_verify.add_argument("file", help="the PDF file")
    minutes_verify.set_defaults(func=cmd_minutes_verify)
    minutes_sweep = minutes_commands.add_parser(
        "sweep", help="remove signed files no version references (left by lost render runs)"
    )
    minutes_sweep.add_argument("--dry-run", action="store_true", help="list only, remove nothing")
    minutes_sweep.set_defaults(func=cmd_minutes_sweep)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CommandError as exc:
        print(f"deliberate {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
