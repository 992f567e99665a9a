"""Public identifiers: random, so ids reveal nothing and cannot be enumerated."""

import uuid


def new_id() -> str:
    return uuid.uuid4().hex
