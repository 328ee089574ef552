import pytest

from bureau.adapters.memory import InMemoryStore
from tests.support.store_contract import StoreContract


class TestInMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> InMemoryStore:
        return InMemoryStore()
