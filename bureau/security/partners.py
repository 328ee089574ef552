"""Onboarding and revocation: SCRAM credentials, ACLs, topics and the signing-key registry.

Uses confluent-kafka's AdminClient: aiokafka's admin client has no SCRAM or ACL calls,
and Kafka's Java tools would need a JVM per command.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from confluent_kafka.error import KafkaError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bureau.embedded.secrets import write_secret
from bureau.privacy.topics import party_topic_made_with
from bureau.security.acls import Kind, bureau_acls, partner_acls, partner_topics, principal
from bureau.security.client import confluent_config
from bureau.security.signing import (
    PartnerEntry,
    PartnerRegistry,
    ensure_private_key,
    generate_key,
    public_key_text,
    save_private_key,
)
from bureau.settings import Settings
from bureau.topics import Topics

BUREAU_KIND = "bureau"
_TIMEOUT = 30.0
_ITERATIONS = 8192


def keys_dir(settings: Settings) -> Path:
    """Where partners' keys, passwords and client configs are written."""
    if settings.partner_keys_dir is not None:
        return settings.partner_keys_dir
    if settings.kafka_admin_password_file is not None:
        return settings.kafka_admin_password_file.parent / "partners"
    return Path(".bureau") / "partners"


def bureau_key_file(settings: Settings) -> Path:
    """The bureau's own signing key (``BUREAU_SIGNING_KEY_FILE``, else beside the partners)."""
    return settings.signing_key_file or keys_dir(settings).parent / "bureau.signing.key"


def _admin(settings: Settings) -> AdminClient:
    return AdminClient(confluent_config(settings, admin=True))


def _wait(futures: dict[Any, Any], ignore: tuple[int, ...] = ()) -> None:
    for future in futures.values():
        try:
            future.result(timeout=_TIMEOUT)
        except KafkaException as exc:
            error = exc.args[0]
            if not (isinstance(error, KafkaError) and error.code() in ignore):
                raise


def _ensure_topics(admin: AdminClient, topics: list[NewTopic]) -> None:
    if topics:
        _wait(admin.create_topics(topics), ignore=(KafkaError.TOPIC_ALREADY_EXISTS,))


def _registry_topic(settings: Settings) -> NewTopic:
    # One partition keeps the registry's order total; compaction keeps the latest per org.
    return NewTopic(
        Topics.from_settings(settings).partners,
        num_partitions=1,
        replication_factor=1,
        config={"cleanup.policy": "compact"},
    )


def publish_entries(settings: Settings, entries: list[PartnerEntry]) -> None:
    """Write registry records as the admin (one producer, all acknowledged)."""
    # log_level 3: errors only (a retried PID request while the broker starts is no news);
    # delivery failures are raised below anyway.
    producer = Producer(
        {**confluent_config(settings, admin=True), "enable.idempotence": True, "log_level": 3}
    )
    errors: list[KafkaError] = []

    def delivered(error: KafkaError | None, _message: object) -> None:
        if error is not None:
            errors.append(error)

    for entry in entries:
        producer.produce(
            Topics.from_settings(settings).partners,
            key=entry.org.encode(),
            value=entry.to_json(),
            on_delivery=delivered,
        )
    if producer.flush(_TIMEOUT) or errors:
        raise RuntimeError(f"registry records not written: {errors}")


def _publish_entry(settings: Settings, entry: PartnerEntry) -> None:
    publish_entries(settings, [entry])


def provision_bureau(settings: Settings) -> None:
    """Give bureau's principal its ACLs, create the registry and register bureau's key."""
    admin = _admin(settings)
    _wait(admin.create_acls(bureau_acls(settings)))
    _ensure_topics(admin, [_registry_topic(settings)])
    key = ensure_private_key(bureau_key_file(settings))
    _publish_entry(
        settings,
        PartnerEntry(
            org=settings.kafka_username, kind=BUREAU_KIND, public_key=public_key_text(key)
        ),
    )


@dataclass(frozen=True)
class Onboarding:
    """What ``add`` made for a partner: where its secrets are, how its client connects."""

    org: str
    kind: Kind
    directory: Path
    bootstrap: str
    security_protocol: str

    @property
    def password_file(self) -> Path:
        """The partner's SCRAM password (0600)."""
        return self.directory / "kafka.password"

    @property
    def key_file(self) -> Path:
        """The partner's Ed25519 signing key (0600)."""
        return self.directory / "signing.key"

    @property
    def kcat_file(self) -> Path:
        """kcat/librdkafka properties, password included (0600)."""
        return self.directory / "kcat.properties"

    def aiokafka_security(self) -> dict[str, Any]:
        """Return the partner's aiokafka security kwargs (reads its password file)."""
        return {
            "security_protocol": self.security_protocol,
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": self.org,
            "sasl_plain_password": self.password_file.read_text().strip(),
        }

    def describe(self) -> str:
        """Return the client configuration to hand to the partner (no secret in it)."""
        aiokafka = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": self.org,
            "sasl_plain_password": f"<contents of {self.password_file}>",
        }
        return "\n".join(
            [
                f"partner {self.org} ({self.kind}) onboarded",
                f"aiokafka: {json.dumps(aiokafka)}",
                f"kcat: kcat -F {self.kcat_file} ...",
                f"signing key (Ed25519, sign key + b'\\x00' + value): {self.key_file}",
                "headers: bureau-signer: <org>, bureau-signature: <base64 signature>",
            ]
        )


def add(settings: Settings, org: str, kind: Kind) -> Onboarding:
    """Create ``org``'s SCRAM user, ACLs, topics and signing key, and register the key."""
    return add_many(settings, {org: kind})[org]


def add_many(settings: Settings, kinds: Mapping[str, Kind]) -> dict[str, Onboarding]:
    """Onboard several partners at once: one admin connection, one registry producer."""
    reserved = {settings.kafka_username, settings.kafka_admin_username} & set(kinds)
    if reserved:
        raise ValueError(f"{sorted(reserved)[0]!r} is reserved")
    topics = Topics.from_settings(settings)
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, _ITERATIONS)
    done: dict[str, Onboarding] = {}
    upserts: list[UserScramCredentialAlteration] = []
    entries: list[PartnerEntry] = []
    new_topics, acls = [_registry_topic(settings)], []
    for org, kind in kinds.items():
        onboarding, password, key = _credentials(settings, org, kind)
        done[org] = onboarding
        upserts.append(UserScramCredentialUpsertion(org, info, password.encode()))
        entries.append(PartnerEntry(org=org, kind=kind, public_key=public_key_text(key)))
        # One partition and the same config as bureau's TopicMaker makes them with: one
        # reader each (hundreds of partners would otherwise mean thousands of partitions),
        # the retention bureau promises and the layout of a small topic.
        new_topics += [
            NewTopic(t, 1, 1, config=party_topic_made_with(settings, t))
            for t in partner_topics(topics, org, kind)
        ]
        acls += partner_acls(topics, org, kind)
    admin = _admin(settings)
    _wait(admin.alter_user_scram_credentials(upserts))
    _ensure_topics(admin, new_topics)
    _wait(admin.create_acls(acls))
    _acls_visible(admin, acls)
    publish_entries(settings, entries)
    return done


def _acls_visible(admin: AdminClient, acls: list[AclBinding]) -> None:
    """Wait until the broker's authorizer holds ``acls`` (the controller commits first).

    A client that connects in between is refused (e.g. ClusterAuthorizationFailed for an
    idempotent producer, whose right follows from a topic WRITE ACL).
    """
    deadline = time.monotonic() + _TIMEOUT
    wanted = {(a.name, a.principal, a.operation) for a in acls}
    while True:
        found = admin.describe_acls(_ANY).result(timeout=_TIMEOUT)
        if wanted <= {(a.name, a.principal, a.operation) for a in found}:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"ACLs not applied by the broker within {_TIMEOUT:.0f}s")
        time.sleep(0.1)  # poll interval while the broker applies the metadata


def _credentials(
    settings: Settings, org: str, kind: Kind
) -> tuple[Onboarding, str, Ed25519PrivateKey]:
    """Write ``org``'s password, signing key and kcat file (0600); return them."""
    done = Onboarding(
        org,
        kind,
        keys_dir(settings) / org,
        settings.kafka_bootstrap,
        settings.kafka_security_protocol,
    )
    password = secrets.token_urlsafe(32)
    write_secret(done.password_file, password)
    key = generate_key()
    save_private_key(done.key_file, key)
    kcat = [
        f"bootstrap.servers={settings.kafka_bootstrap}",
        f"security.protocol={settings.kafka_security_protocol}",
        "sasl.mechanism=SCRAM-SHA-512",
        f"sasl.username={org}",
        f"sasl.password={password}",
    ]
    write_secret(done.kcat_file, "\n".join(kcat) + "\n")
    return done, password, key


def _matching(user: str | None) -> AclBindingFilter:
    return AclBindingFilter(
        ResourceType.ANY,
        None,  # type: ignore[arg-type]  # None matches any name, as in librdkafka
        ResourcePatternType.ANY,
        None if user is None else principal(user),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        AclOperation.ANY,
        AclPermissionType.ANY,
    )


_ANY = _matching(None)


def revoke(settings: Settings, org: str) -> None:
    """Remove ``org``'s credentials and ACLs and mark its key revoked; no restart needed."""
    admin = _admin(settings)
    # ACLs are checked on every request, so open connections lose their rights at once.
    _wait(admin.delete_acls([_matching(org)]))
    deletion = UserScramCredentialDeletion(org, ScramMechanism.SCRAM_SHA_512)
    _wait(
        admin.alter_user_scram_credentials([deletion]),
        ignore=(KafkaError.RESOURCE_NOT_FOUND,),
    )
    current = list_partners(settings).get(org)
    if current is not None:
        _publish_entry(
            settings,
            PartnerEntry(org=org, kind=current.kind, public_key=current.public_key, revoked=True),
        )


def list_partners(settings: Settings) -> PartnerRegistry:
    """Read the whole registry topic now (admin principal, no consumer group)."""
    topic = Topics.from_settings(settings).partners
    consumer = Consumer(
        {
            **confluent_config(settings, admin=True),
            "group.id": "unused",
            "enable.auto.commit": False,
        }
    )
    registry = PartnerRegistry()
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=_TIMEOUT)
        if high <= low:
            return registry
        consumer.assign([TopicPartition(topic, 0, low)])
        position = low
        while position < high:
            message = consumer.poll(timeout=_TIMEOUT)
            if message is None:
                raise TimeoutError(f"{topic}: no record within {_TIMEOUT:.0f}s")
            if message.error():
                raise KafkaException(message.error())
            registry.apply(message.key(), message.value())
            position = (message.offset() or 0) + 1
    finally:
        consumer.close()
    return registry
