"""Per-data-dir SCRAM passwords of the embedded broker: generated once, kept in 0600 files."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

MECHANISM = "SCRAM-SHA-512"
ADMIN = "admin"
BUREAU = "bureau"
# Kafka's minimum for SCRAM-SHA-512; the salted form is what reaches the format command.
_ITERATIONS = 4096


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (created 0600, never widened)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def read_secret(path: Path) -> str:
    """Return the secret stored in ``path`` (one line, trailing whitespace dropped)."""
    return path.read_text().strip()


class Secrets:
    """The admin and bureau passwords of one broker data dir."""

    def __init__(self, directory: Path) -> None:
        """Use ``directory``, generating the passwords on first use (a restart reuses them)."""
        self.directory = directory
        for user in (ADMIN, BUREAU):
            path = self.password_file(user)
            if not path.exists():
                write_secret(path, secrets.token_urlsafe(32))

    def password_file(self, user: str) -> Path:
        """Return the file holding ``user``'s password."""
        return self.directory / f"{user}.password"

    def format_arguments(self) -> list[str]:
        """Return ``--add-scram`` arguments with salted passwords, never the passwords."""
        args: list[str] = []
        for user in (ADMIN, BUREAU):
            salt = secrets.token_bytes(32)
            password = read_secret(self.password_file(user)).encode()
            # Kafka's ScramFormatter.saltedPassword is PBKDF2 with the mechanism's HMAC.
            salted = hashlib.pbkdf2_hmac("sha512", password, salt, _ITERATIONS)
            b64 = base64.b64encode
            args += [
                "--add-scram",
                f'{MECHANISM}=[name={user},salt="{b64(salt).decode()}",'
                f'saltedpassword="{b64(salted).decode()}",iterations={_ITERATIONS}]',
            ]
        return args

    def broker_properties(self, listener: str) -> list[str]:
        """Return the server.properties lines for SCRAM, the authorizer and deny-by-default."""
        password = read_secret(self.password_file(ADMIN))
        jaas = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{ADMIN}" password="{password}";'
        )
        # The controller listener cannot use SCRAM (its credentials live in the metadata
        # the controller serves), so it takes SASL/PLAIN with the admin alone, from a static
        # JAAS entry: no unauthenticated principal anywhere, loopback only.
        controller_jaas = (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="{ADMIN}" password="{password}" user_{ADMIN}="{password}";'
        )
        return [
            f"sasl.enabled.mechanisms={MECHANISM}",
            f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
            f"listener.name.{listener.lower()}.{MECHANISM.lower()}.sasl.jaas.config={jaas}",
            "sasl.mechanism.controller.protocol=PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
            f"listener.name.controller.plain.sasl.jaas.config={controller_jaas}",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            f"super.users=User:{ADMIN}",
            "allow.everyone.if.no.acl.found=false",
        ]

    def settings_update(self) -> dict[str, object]:
        """Return the ``Settings`` fields that point bureau and the admin at these files."""
        return {
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_sasl_mechanism": MECHANISM,
            "kafka_username": BUREAU,
            "kafka_password_file": self.password_file(BUREAU),
            "kafka_admin_username": ADMIN,
            "kafka_admin_password_file": self.password_file(ADMIN),
            "signing_key_file": self.directory / "bureau.signing.key",
            "partner_keys_dir": self.directory / "partners",
        }
