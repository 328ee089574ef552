"""The one configuration class: environment variables ``BUREAU_*`` and ``.env``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbeddedStore = Literal["sqlite", "postgresql"]


class Settings(BaseSettings):
    """bureau's configuration; every field can be set as ``BUREAU_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="BUREAU_", env_file=".env", extra="ignore")

    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated."
    )
    mongo_url: str = Field(
        default="mongodb://127.0.0.1:27017/", description="MongoDB-wire server URL."
    )
    mongo_db: str = Field(default="bureau", min_length=1, description="Database name.")
    topic_prefix: str = Field(
        default="",
        description="Prepended to every topic name; tests use it to isolate runs.",
    )
    group_prefix: str = Field(default="", description="Prepended to every consumer group.")
    partitions: int = Field(
        default=6, ge=1, description="Partitions of topics bureau creates; more scale out."
    )
    dlq_retention_days: int = Field(
        default=14, ge=1, description="How long dead letters (original bytes) are kept."
    )
    parked_ttl_days: int = Field(
        default=30, ge=1, description="Parked events older than this go to the DLQ, with why."
    )
    parked_sweep_every: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds between sweeps that expire parked events into the DLQ; 0: never.",
    )
    outcome_retention_days: int = Field(
        default=365, ge=1, description="How long a school's outcome topic keeps its records."
    )
    matches_retention_days: int = Field(
        default=30, ge=1, description="How long match suggestions stay on their topic."
    )
    students_max_compaction_lag_hours: int = Field(
        default=24,
        ge=1,
        description="Longest an overwritten or erased profile may stay on the students topic.",
    )
    key_cache_seconds: float = Field(
        default=300.0, ge=0, description="How long a worker keeps a data key for sealing."
    )
    weight_skills: float = Field(default=0.5, ge=0, description="Score weight of shared skills.")
    weight_theme: float = Field(default=0.15, ge=0, description="Score weight of shared themes.")
    weight_level: float = Field(default=0.1, ge=0, description="Score weight of level fit.")
    weight_distance: float = Field(default=0.25, ge=0, description="Score weight of nearness.")
    max_travel_km: float = Field(
        default=50.0, ge=0, description="Travel limit of students who state none."
    )
    rescore_threshold: float = Field(
        default=0.05, ge=0, description="Score change that makes a pair worth telling again."
    )
    top_k: int = Field(default=20, ge=1, description="Suggestions per new offer or student.")
    kafka_image: str = Field(
        default="apache/kafka:4.4.0",
        description="Kafka image the tests start where a container engine runs.",
    )
    mongo_image: str = Field(
        default="mongo:8.0", description="MongoDB-wire image the tests start likewise."
    )
    embedded_store: EmbeddedStore = Field(
        default="postgresql",
        description=(
            "Backend of the embedded FerretDB (demo, tests without containers): a private "
            "PostgreSQL cluster run beside it (updates by _id do not scan), or SQLite files "
            "(starts in 0.1 s, but every update scans its collection). See docs/store.md."
        ),
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: readable on a terminal, JSON otherwise."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_message_bytes: int = Field(
        default=256 * 1024, gt=0, description="Larger inbound messages are dead-lettered."
    )
    batch_max: int = Field(
        default=500,
        gt=0,
        description=(
            "Most events a subscriber takes from one poll and applies as one batch "
            "(deliveries and the offset commit once per batch)."
        ),
    )
    retry_backoff_initial: float = Field(
        default=0.2, gt=0, description="First wait (s) after a transient failure."
    )
    retry_backoff_max: float = Field(
        default=10.0, gt=0, description="Longest wait (s) between retries of one message."
    )
    unsafe_ack_first: bool = Field(
        default=False,
        description=(
            "TEST-ONLY FAULT SWITCH: commit each message's offset before applying it "
            "(at-most-once). The fault suite sets it to show that its checker reports the "
            "losses this causes; never set it in production."
        ),
    )
    metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        description="Port of the worker's Prometheus /metrics (0: no metrics middleware).",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Address /metrics listens on (0.0.0.0 in a container)."
    )
    metrics_lag_interval: float = Field(
        default=15.0, gt=0, description="Seconds between consumer-lag readings for /metrics."
    )
    trace_exporter: Literal["none", "console", "otlp"] = Field(
        default="none",
        description=(
            "Where OpenTelemetry spans go: nowhere, stdout, or an OTLP/HTTP collector "
            "(OTEL_EXPORTER_OTLP_ENDPOINT; needs the otlp extra)."
        ),
    )
    # --- Kafka security (issue 8): who bureau and the provisioning admin are to the broker.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description=(
            "How clients reach Kafka: SASL_SSL across a network, SASL_PLAINTEXT on loopback; "
            "the embedded broker and the tests set it for you."
        ),
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism (the only one bureau provisions)."
    )
    kafka_username: str = Field(default="bureau", description="bureau's own Kafka principal.")
    kafka_password_file: Path | None = Field(
        default=None, description="File (or mounted secret) holding bureau's Kafka password."
    )
    kafka_ca_file: Path | None = Field(
        default=None, description="CA certificate (PEM) that signs the broker's, for SASL_SSL."
    )
    kafka_admin_username: str = Field(
        default="admin", description="Kafka super user that provisions partners and ACLs."
    )
    kafka_admin_password_file: Path | None = Field(
        default=None, description="File holding the admin's password (only `partners` reads it)."
    )
    require_signatures: bool = Field(
        default=True,
        description=(
            "On a secured broker the worker dead-letters every inbound record whose "
            "signature does not prove its envelope's source. TEST-ONLY when off: the "
            "red-team control row switches it off to show a forged event applied."
        ),
    )
    signing_key_file: Path | None = Field(
        default=None,
        description="bureau's Ed25519 private key (PEM) that signs its own events.",
    )
    partner_keys_dir: Path | None = Field(
        default=None,
        description="Where `partners add` writes partners' signing keys and client configs.",
    )
    statistics_every: float = Field(
        default=300.0,
        ge=0,
        description="Seconds between statistics refreshes (view + open feed); 0: never.",
    )
    # The dashboard (bureau.web): where it listens and who may see what.
    web_host: str = Field(default="127.0.0.1", description="Address the dashboard listens on.")
    web_port: int = Field(default=8080, ge=0, le=65535, description="Port of the dashboard.")
    web_admin_token: SecretStr | None = Field(
        default=None,
        description="Credential for the operator pages (HTTP bearer, or basic with any user).",
    )
    web_school_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='Per-school credentials as JSON, e.g. {"roc-amsterdam": "s3cret"}.',
    )
    web_school_tokens_file: Path | None = Field(
        default=None,
        description="A JSON file of the same map (read at start; kept out of the environment).",
    )
