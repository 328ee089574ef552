"""Sealing with per-student data keys, the key stores and the write-path cache."""

import base64

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bureau.privacy.crypto import (
    TOKEN,
    TamperedTokenError,
    key_id_of,
    new_key,
    open_sealed,
    seal,
)
from bureau.privacy.keys import CachedKeyStore, InMemoryKeyStore, KeyShreddedError


def test_a_sealed_value_opens_with_its_key_and_hides_the_plaintext() -> None:
    key = new_key("st-1")
    token = seal(key, {"skills": ["zebra-welding"], "rating": 4})
    assert "zebra" not in token
    assert TOKEN.fullmatch(token)
    assert key_id_of(token) == key.key_id
    assert open_sealed({key.key_id: key}, token) == {"skills": ["zebra-welding"], "rating": 4}


def test_without_its_key_a_token_opens_to_none() -> None:
    token = seal(new_key("st-1"), "secret")
    assert open_sealed({}, token) is None
    other = new_key("st-1")
    assert open_sealed({other.key_id: other}, token) is None


def test_the_same_value_seals_to_the_same_token_and_different_values_do_not() -> None:
    key = new_key("st-1")
    assert seal(key, ["a", 1]) == seal(key, ["a", 1])
    assert seal(key, ["a", 1]) != seal(key, ["a", 2])


def test_a_token_is_bound_to_its_student() -> None:
    key = new_key("st-1")
    token = seal(key, "x")
    moved = type(key)(key.key_id, "st-2", key.secret)
    with pytest.raises(TamperedTokenError):
        open_sealed({key.key_id: moved}, token)


def test_an_altered_token_is_refused() -> None:
    key = new_key("st-1")
    token = seal(key, "hello")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(TamperedTokenError):
        open_sealed({key.key_id: key}, flipped)


async def test_a_deleted_key_is_gone_and_never_made_again() -> None:
    store = InMemoryKeyStore()
    key = await store.get_or_create("st-1")
    assert await store.get_or_create("st-1") == key
    await store.delete("st-1")
    assert await store.get("st-1") is None
    with pytest.raises(KeyShreddedError):
        await store.get_or_create("st-1")
    assert await store.erased() == {"st-1"}


async def test_the_cache_spares_the_store_on_the_write_path_but_not_on_the_read_path() -> None:
    inner = InMemoryKeyStore()
    cached = CachedKeyStore(inner)
    key = await cached.get_or_create("st-1")
    inner.keys.clear()  # as if another worker erased the student
    assert await cached.get_or_create("st-1") == key
    assert await cached.get("st-1") is None


async def test_cached_keys_expire_and_the_oldest_go_first() -> None:
    now = [0.0]
    inner = InMemoryKeyStore()
    cached = CachedKeyStore(inner, ttl=10, max_entries=2, clock=lambda: now[0])
    for s in ("a", "b", "c"):
        await cached.get_or_create(s)
    assert len(cached) == 2
    await inner.delete("b")
    now[0] = 11.0
    with pytest.raises(KeyShreddedError):
        await cached.get_or_create("b")


async def test_deleting_through_the_cache_shreds_in_the_store() -> None:
    inner = InMemoryKeyStore()
    cached = CachedKeyStore(inner)
    await cached.get_or_create("st-1")
    await cached.delete("st-1")
    with pytest.raises(KeyShreddedError):
        await cached.get_or_create("st-1")


def test_the_plaintext_under_a_token_is_sorted_compact_ascii_json() -> None:
    """Tokens are deterministic: the plaintext's bytes must not change between versions."""
    key = new_key("st-1")
    value = {"reasons": ["café", "b"], "a": [1, None]}
    raw = base64.urlsafe_b64decode(seal(key, value).split(".", 2)[2] + "==")
    plain = AESGCM(key.secret).decrypt(raw[:12], raw[12:], b"bureau/student/st-1")
    assert plain == b'{"a":[1,null],"reasons":["caf\\u00e9","b"]}'
