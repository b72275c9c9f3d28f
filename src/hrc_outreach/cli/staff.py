"""``hrc-outreach staff add|list|remove``: the accounts that sign in to the staff web pages."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.table import Table

from hrc_outreach.cli.apps import app, console, fail, print_json, settings
from hrc_outreach.errors import OutreachError

staff_app = typer.Typer(help="Staff accounts for the web pages (/staff).", no_args_is_help=True)
app.add_typer(staff_app, name="staff")


def _store() -> Any:
    from hrc_outreach.store import open_store

    try:
        return open_store(settings())
    except OutreachError as exc:
        fail(str(exc))


@staff_app.command("add")
def add_command(
    email: str = typer.Argument(..., help="The address the person signs in with."),
    name: str = typer.Option(..., "--name", help="Their name (recorded with their decisions)."),
    role: str = typer.Option(
        ...,
        "--role",
        help="editor (preview, fix translations, drop items, send tests), "
        "approver (also approve, reject, resolve deliveries) or admin (also subscribers, staff).",
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Add a staff account (or change an existing one's name, role and password: it is signed out)."""
    from hrc_outreach.staff import add_staff

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = _store()
    try:
        member = add_staff(store, email, name=name, role=role, password=password)
    except OutreachError as exc:
        fail(str(exc))
        return
    finally:
        store.dispose()
    console.print(f"staff {member.email} ({member.name}) is {member.role.value}", highlight=False)


@staff_app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print the accounts as JSON."),
) -> None:
    """Every staff account with its role."""
    from hrc_outreach.staff import list_staff

    store = _store()
    try:
        members = list_staff(store)
    finally:
        store.dispose()
    if as_json:
        print_json([{"email": m.email, "name": m.name, "role": m.role.value} for m in members])
        return
    table = Table(title=f"{len(members)} staff accounts")
    for col in ("email", "name", "role"):
        table.add_column(col)
    for m in members:
        table.add_row(m.email, m.name, m.role.value)
    console.print(table)


@staff_app.command("remove")
def remove_command(email: str = typer.Argument(..., help="The account's address.")) -> None:
    """Remove a staff account and end its sessions."""
    from hrc_outreach.staff import remove_staff

    store = _store()
    try:
        removed = remove_staff(store, email)
    finally:
        store.dispose()
    if not removed:
        fail(f"no staff account {email!r}")
    console.print(f"staff {email} removed", highlight=False)
