"""Human references (K7Q-4M2-XP) and the secret manage tokens derived from them.

The token is never stored: it is an HMAC of the appointment id and a token version under the
server's secret, so messages sent later can carry the manage link, and bumping the version
revokes a leaked one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: read aloud or copied from paper without doubt.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 8
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_reference() -> str:
    """A random reference in canonical form (upper case, no dashes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display_reference(reference: str) -> str:
    return f"{reference[:3]}-{reference[3:6]}-{reference[6:]}"


def normalise_reference(text: str) -> str | None:
    """Canonical form of what a citizen typed, or None if it cannot be a reference."""
    cleaned = "".join(ch for ch in text.upper() if ch not in "- ").translate(_CONFUSABLE)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def manage_token(secret_key: str, appointment_id: int, version: int) -> str:
    message = f"appointment:{appointment_id}:{version}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()  # 96 bits, 16 characters


def token_matches(secret_key: str, appointment_id: int, version: int, given: str | None) -> bool:
    expected = manage_token(secret_key, appointment_id, version)
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


CODE_LENGTH = 8


def management_code(secret_key: str, appointment_id: int, version: int) -> str:
    """An 8-character code from the reference alphabet, printed in every message: with the
    reference it opens the visit where a link cannot be followed (no JavaScript, paper)."""
    message = f"code:{appointment_id}:{version}".encode()
    number = int.from_bytes(hmac.new(secret_key.encode(), message, hashlib.sha256).digest()[:8])
    letters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[index])
    return "".join(letters)


def code_matches(secret_key: str, appointment_id: int, version: int, given: str | None) -> bool:
    if not given:
        return False
    typed = "".join(ch for ch in given.upper() if ch not in "- ").translate(_CONFUSABLE)
    expected = management_code(secret_key, appointment_id, version)
    return hmac.compare_digest(expected.encode(), typed.encode())
