"""``bureau partners add|revoke|list|provision``: onboarding as one command (typer)."""

from __future__ import annotations

from typing import Annotated

import typer

from bureau.logging import configure_logging
from bureau.security import partners
from bureau.security.acls import KINDS
from bureau.settings import Settings

app = typer.Typer(
    name="partners",
    help="Onboard, revoke and list partner organisations (runs as the admin principal).",
    no_args_is_help=True,
)


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings)
    return settings


@app.command()
def add(
    org: Annotated[str, typer.Argument(help="The organisation's id.")],
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(KINDS)}.")],
) -> None:
    """Create the partner's credentials, ACLs and signing key; print its client config."""
    if kind not in KINDS:
        raise typer.BadParameter(f"kind must be one of {', '.join(KINDS)}")
    print(partners.add(_settings(), org, kind).describe(), flush=True)


@app.command()
def revoke(org: Annotated[str, typer.Argument(help="The organisation's id.")]) -> None:
    """Remove the partner's credentials and ACLs and revoke its key (no restart needed)."""
    partners.revoke(_settings(), org)
    print(f"partner {org} revoked", flush=True)


@app.command(name="list")
def list_() -> None:
    """Print the partner registry."""
    for entry in sorted(partners.list_partners(_settings()).values(), key=lambda e: e.org):
        state = "revoked" if entry.revoked else "active"
        print(f"{entry.org}\t{entry.kind}\t{state}", flush=True)


@app.command()
def provision() -> None:
    """Give bureau's own principal its ACLs and signing key."""
    settings = _settings()
    partners.provision_bureau(settings)
    print(f"principal {settings.kafka_username} provisioned", flush=True)
