import pytest

from bureau.adapters.mongo import MongoStore
from tests.support.store_contract import StoreContract


class TestMongoStore(StoreContract):
    @pytest.fixture
    def store(self, mongo_store: MongoStore) -> MongoStore:
        return mongo_store
