"""What a citizen has chosen so far, carried from step to step in the forms themselves (no
server session): procedure, site, answers, declared documents, start. Contact details travel
only in POST bodies, never in a URL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

ANSWER_PREFIX = "q_"


@dataclass(frozen=True)
class Journey:
    procedure: str = ""
    site: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    declared: tuple[str, ...] = ()
    start: str = ""

    @classmethod
    def read(cls, items: Iterable[tuple[str, Any]]) -> Journey:
        """From query parameters or form fields (repeated `doc` for declared documents)."""
        values: dict[str, str] = {}
        answers: dict[str, str] = {}
        declared: list[str] = []
        for key, raw in items:
            value = str(raw)[:200]
            if key == "doc":
                declared.append(value)
            elif key.startswith(ANSWER_PREFIX) and value:
                answers[key.removeprefix(ANSWER_PREFIX)[:64]] = value
            elif key in ("procedure", "site", "start"):
                values[key] = value
        return cls(answers=answers, declared=tuple(dict.fromkeys(declared)), **values)

    def fields(self, *, without: Iterable[str] = ()) -> list[tuple[str, str]]:
        """(name, value) pairs for hidden inputs or a query string, minus the step's own."""
        skip = set(without)
        pairs = [
            (name, getattr(self, name))
            for name in ("procedure", "site", "start")
            if name not in skip and getattr(self, name)
        ]
        if "answers" not in skip:
            pairs += [(ANSWER_PREFIX + key, value) for key, value in sorted(self.answers.items())]
        if "declared" not in skip:
            pairs += [("doc", document) for document in self.declared]
        return pairs

    def url(self, path: str, **extra: str) -> str:
        pairs = self.fields() + [(k, v) for k, v in extra.items() if v]
        return f"{path}?{urlencode(pairs)}" if pairs else path

    def but(self, **changes: Any) -> Journey:
        return replace(self, **changes)
