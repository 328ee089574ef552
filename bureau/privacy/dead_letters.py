"""Dead letters bureau writes, sealed under the student they are about.

A dead letter keeps a record's original bytes so that it can be re-driven; when the
record is about a student (the key of a students-topic record, else the student its
data names) those bytes are sealed under that student's key, so erasure reaches
the DLQ at once instead of after its retention. A record about nobody in particular,
or that cannot be read at all on another topic, is kept as it came.
"""

from __future__ import annotations

import base64
import json

from bureau.privacy.fields import seal_personal, student_named, unseal
from bureau.privacy.keys import KeyStore

MARK = "bureau-sealed-dead-letter"


def _text(value: bytes) -> tuple[str, str]:
    try:
        return value.decode(), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(value).decode(), "base64"


async def seal_dead_letter(
    value: bytes, key: bytes | None, *, students_topic: bool, keys: KeyStore
) -> bytes:
    """The bytes to publish on the DLQ: sealed if the record is about a student."""
    student = key.decode(errors="replace") if students_topic and key else student_named(value)
    if student is None:
        return value
    text, encoding = _text(value)
    doc = {MARK: 1, "student_id": student, "encoding": encoding, "value": text}
    sealed = await seal_personal(doc, keys, kind="dlq", student_id=student)
    return json.dumps(sealed, separators=(",", ":")).encode()


async def open_dead_letter(value: bytes, keys: KeyStore) -> bytes | None:
    """The original bytes of a dead letter (None: its student was erased)."""
    try:
        doc = json.loads(value)
    except ValueError:
        return value
    if not isinstance(doc, dict) or MARK not in doc:
        return value
    opened = await unseal(doc, keys, kind="dlq", student_id=doc["student_id"])
    if "value" not in opened:
        return None
    text: str = opened["value"]
    return base64.b64decode(text) if opened["encoding"] == "base64" else text.encode()
