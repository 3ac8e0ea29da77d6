"""The marker of translatable message ids: the core raises and labels with English ids that
the web layer translates in the user's language (`booking/web/shared/language.py`)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated later, in the user's language."""
    return message
