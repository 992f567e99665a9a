"""What a coding edit says, and a document's coding as read: shared by the service, the
batch coding and the API's shapes, with no database work of their own."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

# The fields a coding edit may set, in the order history and audit list them.
FIELDS = ("responsiveness", "privileged", "privilege_basis", "hot", "issues", "note")
MAX_NOTE = 10_000
MAX_BASIS = 500


@dataclass(frozen=True, slots=True)
class CodingEdit:
    """The fields to change; `given` says which (None is a value: responsiveness cleared).

    `issues` replaces the document's issues; `add_issues` and `remove_issues` change them
    relative to what each document has (what a batch needs: code 500 documents "fraud"
    without taking their other issues away)."""

    given: frozenset[str]
    responsiveness: str | None = None
    privileged: bool = False
    privilege_basis: str | None = None
    hot: bool = False
    note: str | None = None
    issues: tuple[str, ...] | None = None  # None: the issues are not replaced
    add_issues: tuple[str, ...] = ()
    remove_issues: tuple[str, ...] = ()

    @property
    def names(self) -> set[str]:
        """Every issue name the edit mentions (each must exist in the workspace)."""
        return {*(self.issues or ()), *self.add_issues, *self.remove_issues}

    def summary(self) -> dict[str, object]:
        """What the audit log keeps of the edit: the values, a note's length only."""
        out: dict[str, object] = {}
        for name in sorted(self.given - {"issues"}):
            value = getattr(self, name)
            out[name] = len(value or "") if name == "note" else value
        if "issues" in self.given:
            for name in ("issues", "add_issues", "remove_issues"):
                value = getattr(self, name)
                if value:
                    out[name] = list(value)
            if self.issues is not None and not self.issues:
                out["issues"] = []
        return out


@dataclass(slots=True)
class Coding:
    """A document's coding as shown; an uncoded document has every default."""

    document_id: str
    responsiveness: str | None = None
    privileged: bool = False
    privilege_basis: str | None = None
    hot: bool = False
    note: str | None = None
    issues: list[str] = field(default_factory=list)
    updated_at: datetime | None = None
    updated_by: str | None = None

    def value(self, name: str) -> object:
        return sorted(self.issues) if name == "issues" else getattr(self, name)


def as_text(value: object) -> str | None:
    """A field's value as the history stores it: text, "true"/"false", a JSON list."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)
