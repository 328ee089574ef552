"""Adapters: the storage port and its MongoDB and in-memory implementations."""

from bureau.adapters.memory import InMemoryStore
from bureau.adapters.mongo import MongoStore
from bureau.adapters.store import Store

__all__ = ["InMemoryStore", "MongoStore", "Store"]
