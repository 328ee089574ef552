"""``bureau partners add|revoke|list``: the argparse sub-commands and what they run."""

from __future__ import annotations

import argparse

from bureau.security import partners
from bureau.security.acls import KINDS
from bureau.settings import Settings


def add_partner_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``partners`` and its three sub-commands to ``bureau``'s sub-parsers."""
    parser = sub.add_parser("partners", help="onboard, revoke and list partner organisations")
    actions = parser.add_subparsers(dest="partners_command", required=True)
    add = actions.add_parser("add", help="create credentials, ACLs and a signing key")
    add.add_argument("org")
    add.add_argument("--kind", choices=KINDS, required=True)
    revoke = actions.add_parser("revoke", help="remove credentials and ACLs, revoke the key")
    revoke.add_argument("org")
    actions.add_parser("list", help="print the partner registry")
    actions.add_parser("provision", help="give bureau's own principal its ACLs and key")


def run_partner_command(args: argparse.Namespace, settings: Settings) -> None:
    """Run the parsed ``partners`` sub-command as the admin principal."""
    if args.partners_command == "add":
        print(partners.add(settings, args.org, args.kind).describe(), flush=True)
    elif args.partners_command == "revoke":
        partners.revoke(settings, args.org)
        print(f"partner {args.org} revoked", flush=True)
    elif args.partners_command == "provision":
        partners.provision_bureau(settings)
        print(f"principal {settings.kafka_username} provisioned", flush=True)
    else:
        for entry in sorted(partners.list_partners(settings).values(), key=lambda e: e.org):
            state = "revoked" if entry.revoked else "active"
            print(f"{entry.org}\t{entry.kind}\t{state}", flush=True)
