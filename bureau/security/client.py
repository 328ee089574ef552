"""Client-side Kafka security from the settings: aiokafka kwargs, FastStream, librdkafka."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from faststream.security import BaseSecurity, SASLScram512

from bureau.security.signing import ensure_private_key
from bureau.settings import Settings


def _password(path: Path | None, who: str) -> str:
    if path is None:
        raise ValueError(f"{who}: SASL needs a password file (BUREAU_KAFKA_*PASSWORD_FILE)")
    return path.read_text().strip()


def _default_key_file(settings: Settings) -> Path:
    from bureau.security.partners import bureau_key_file

    return bureau_key_file(settings)


def _ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.kafka_security_protocol != "SASL_SSL":
        return None
    cafile = str(settings.kafka_ca_file) if settings.kafka_ca_file else None
    # Without a CA file the system's trust store verifies the broker; never no verification.
    context: ssl.SSLContext = create_ssl_context(cafile=cafile)
    return context


def _principal(settings: Settings, admin: bool) -> tuple[str, str]:
    if admin:
        return settings.kafka_admin_username, _password(
            settings.kafka_admin_password_file, settings.kafka_admin_username
        )
    return settings.kafka_username, _password(settings.kafka_password_file, settings.kafka_username)


def aiokafka_security(settings: Settings, *, admin: bool = False) -> dict[str, Any]:
    """Return the security kwargs of an aiokafka producer, consumer or admin client."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return {}
    username, password = _principal(settings, admin)
    return {
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": username,
        "sasl_plain_password": password,
        "ssl_context": _ssl_context(settings),
    }


def faststream_security(settings: Settings) -> BaseSecurity | None:
    """Return bureau's security for ``KafkaBroker(..., security=...)`` (None: PLAINTEXT)."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    username, password = _principal(settings, admin=False)
    context = _ssl_context(settings)
    return SASLScram512(
        username=username,
        password=password,
        ssl_context=context,
        use_ssl=context is not None,
    )


def confluent_config(settings: Settings, *, admin: bool = True) -> dict[str, Any]:
    """Return a librdkafka (confluent-kafka) config; the admin principal by default."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap,
        "security.protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol == "PLAINTEXT":
        return config
    username, password = _principal(settings, admin)
    config |= {
        "sasl.mechanism": settings.kafka_sasl_mechanism,
        "sasl.username": username,
        "sasl.password": password,
    }
    if settings.kafka_ca_file is not None:
        config["ssl.ca.location"] = str(settings.kafka_ca_file)
    return config


def bureau_signer(settings: Settings) -> tuple[str, Ed25519PrivateKey] | None:
    """Return bureau's org id and signing key on a secured broker (None: PLAINTEXT)."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    # The file partners.provision_bureau registers; generated on first use.
    path = settings.signing_key_file or _default_key_file(settings)
    return settings.kafka_username, ensure_private_key(path)
