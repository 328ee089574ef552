"""The one configuration class: environment variables ``BUREAU_*`` and ``.env``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
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
