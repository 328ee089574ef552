"""Trust: broker credentials, partner onboarding and ACLs, signed envelopes."""

from bureau.security.client import aiokafka_security, confluent_config, faststream_security

__all__ = ["aiokafka_security", "confluent_config", "faststream_security"]
