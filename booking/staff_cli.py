"""`guichet staff add EMAIL --role ROLE [--site SITE …]` and `guichet staff disable EMAIL`;
the demo's accounts, one per role (development only)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from booking.core.access import Role
from booking.core.errors import BookingError
from booking.web.shared.language import translator

DEMO_PASSWORD = "demo-guichet-2026"
DEMO_ACCOUNTS = (
    ("agent@demo.guichet.fr", Role.agent, ["paris"]),
    ("site-admin@demo.guichet.fr", Role.site_admin, ["paris"]),
    ("manager@demo.guichet.fr", Role.manager, ["paris"]),
    ("admin@demo.guichet.fr", Role.admin, []),
)


def add_commands(commands: Any) -> None:
    staff = commands.add_parser("staff", help="staff accounts").add_subparsers(
        dest="staff_command", required=True
    )
    add = staff.add_parser("add", help="create an account (password read from standard input)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--site", action="append", default=[], dest="sites")
    disable = staff.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("email")


def run(args: argparse.Namespace, container: Any) -> int:
    accounts = container.staff
    try:
        if args.staff_command == "add":
            accounts.add(args.email, _password(), args.role, args.sites)
            print(f"account created: {args.email.lower()} ({args.role})")
            return 0
        if accounts.disable(args.email):
            print(f"account disabled: {args.email.lower()}")
            return 0
        print(f"guichet: no account {args.email}", file=sys.stderr)
        return 1
    except BookingError as exc:
        message = exc.errors[0].message if exc.errors else exc.detail
        params = exc.errors[0].params if exc.errors else exc.params
        print(f"guichet: {translator('en')(message).format(**params)}", file=sys.stderr)
        return 2


def _password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise SystemExit("guichet: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def add_demo_accounts(container: Any) -> list[str]:
    """The demo's accounts, once; refused outside development."""
    if container.settings.environment != "development":
        return []
    created = []
    for email, role, sites in DEMO_ACCOUNTS:
        try:
            container.staff.add(email, DEMO_PASSWORD, role, sites)
            created.append(email)
        except BookingError:
            pass  # already there
    return created


def demo_accounts_text() -> str:
    lines = [
        f"  {email:<28} {role:<10} password {DEMO_PASSWORD}" for email, role, _ in DEMO_ACCOUNTS
    ]
    return "Demo staff accounts (development only), sign in at /staff/login:\n" + "\n".join(lines)
