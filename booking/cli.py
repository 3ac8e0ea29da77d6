"""Command line: `guichet migrate | demo | serve | worker | purge | staff`."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import tempfile
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from booking import staff_cli
from booking.config.logs import configure_logging
from booking.config.settings import DEV_SECRET, SettingsError, load_settings

if TYPE_CHECKING:
    from booking.container import Container


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guichet", description="Guichet booking service")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the database schema")
    demo = commands.add_parser("demo", help="load the demo prefecture (idempotent)")
    demo.add_argument(
        "--history",
        type=int,
        metavar="MONTHS",
        default=0,
        help="also write this many months of past visits for the managers' figures (once)",
    )
    serve = commands.add_parser("serve", help="serve the web interface and the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers", type=int, default=1, help="web processes (PostgreSQL only; default 1)"
    )
    commands.add_parser("worker", help="send due messages (run several for scale-out)")
    backup = commands.add_parser(
        "backup", help="copy the embedded SQLite database while it runs (PostgreSQL: pg_dump)"
    )
    backup.add_argument("file", help="the new file to write")
    commands.add_parser("purge", help="anonymise personal data past its retention period")
    staff_cli.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"guichet: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "migrate":
        from booking.migrate import migrate

        migrate(settings.database_url)
        return 0
    from booking.container import build_container
    from completeness.catalogue import CatalogueError

    try:
        container = build_container(settings)
    except CatalogueError as exc:
        print(f"guichet: {exc}", file=sys.stderr)
        return 2
    commands = {
        "demo": _demo,
        "staff": staff_cli.run,
        "serve": _serve,
        "purge": _purge,
        "worker": _worker,
        "backup": _backup,
    }
    return commands[args.command](args, container)


def _demo(args: argparse.Namespace, container: Container) -> int:
    from booking.config.paths import demo_file
    from booking.demo.setup import load_prefecture, top_up_upcoming, write_past

    settings = container.settings
    created = load_prefecture(container.uow, container.catalogue, demo_file(settings))
    print(f"demo loaded: {created}")
    print(top_up_upcoming(container.uow, container.catalogue, container.now()))
    if args.history:
        today = container.context.today()
        secret = settings.secret_key
        print(write_past(container.uow, today=today, months=args.history, secret_key=secret))
    if settings.environment == "development":
        staff_cli.add_demo_accounts(container)
        print(staff_cli.demo_accounts_text())
    return 0


def _serve(args: argparse.Namespace, container: Container) -> int:
    import uvicorn

    from booking.asgi import background_jobs
    from booking.web.app import create_app
    from booking.web.rendering import AssetsMissing

    settings = container.settings
    host, port = args.host or settings.host, args.port or settings.port
    if settings.secret_key == DEV_SECRET and not _loopback(host):
        print(
            f"guichet: the published development secret_key may serve only on a loopback"
            f" address (127.0.0.1, ::1, localhost), not {host}: set GUICHET_SECRET_KEY",
            file=sys.stderr,
        )
        return 2
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        app = create_app(container, background=background_jobs(container))
    except AssetsMissing as exc:
        print(f"guichet: {exc}", file=sys.stderr)
        return 2
    workers = max(1, args.workers)
    if workers > 1 and make_url(settings.database_url).get_backend_name() == "sqlite":
        print(
            "guichet: --workers needs PostgreSQL: SQLite, the embedded default, is one process's"
            " database (one writer at a time, no shared pool); run one process or move to"
            " PostgreSQL (README: Deployment on PostgreSQL)",
            file=sys.stderr,
        )
        return 2
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # The web processes' counters, kept in files their /metrics adds up (fresh each start).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="guichet-metrics-")
    print(f"Guichet: http://{host}:{port}/  (database {database}; Ctrl-C stops)", flush=True)
    if settings.environment == "development" and _demo_accounts_exist(container):
        print(staff_cli.demo_accounts_text(), flush=True)
    uvicorn.run(
        "booking.asgi:app_from_settings" if workers > 1 else app,
        factory=workers > 1,  # each web process builds its own container
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        log_config=None,  # our logging: one line a request, without query strings
        access_log=False,
        # Only `forwarded_allow_ips` decides whom to believe about the client's address, in
        # one place (booking.web.deps.client_address): uvicorn must not trust loopback itself.
        proxy_headers=False,
        log_level=settings.log_level,
    )
    return 0


def _demo_accounts_exist(container: Container) -> bool:
    """Whether to print the demo's sign-ins; a database down at start is no reason to stop
    (`/health/ready` says 503 until it answers)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return container.staff.exists(staff_cli.DEMO_ACCOUNTS[0][0])
    except SQLAlchemyError:
        print("guichet: the database does not answer yet: /health/ready says 503", flush=True)
        return False


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _purge(_args: argparse.Namespace, container: Container) -> int:
    print(f"housekeeping: {container.housekeeping.run()}")
    return 0


def _backup(args: argparse.Namespace, container: Container) -> int:
    from pathlib import Path

    from storage.backup import BackupError, backup_sqlite

    try:
        size = backup_sqlite(container.settings.database_url, Path(args.file))
    except BackupError as exc:
        print(f"guichet: {exc}", file=sys.stderr)
        return 2
    print(f"backup: {args.file} ({size} bytes), integrity checked")
    return 0


def _worker(_args: argparse.Namespace, container: Container) -> int:
    from booking.worker import run_worker

    run_worker(container)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
