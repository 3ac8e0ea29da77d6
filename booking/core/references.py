"""Human references (K7Q-4M2-XP) and the secret manage tokens and codes derived for them.

Neither is stored: each is an HMAC, under the server's secret, of the appointment's id, its
token version and a random salt kept on the visit. The salt means that knowing the secret and
a reference is not enough to forge a link; a new salt revokes the old link; several secrets
may verify (a secret being rolled in), the first one issues.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

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


def new_salt() -> str:
    return secrets.token_urlsafe(16)


def _message(kind: str, appointment_id: int, version: int, salt: str | None) -> bytes:
    suffix = f":{salt}" if salt else ""  # visits booked before salts: id and version only
    return f"{kind}:{appointment_id}:{version}{suffix}".encode()


def manage_token(
    secret_key: str, appointment_id: int, version: int, salt: str | None = None
) -> str:
    message = _message("appointment", appointment_id, version, salt)
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()  # 96 bits, 16 characters


def token_matches(
    secret_keys: Sequence[str],
    appointment_id: int,
    version: int,
    salt: str | None,
    given: str | None,
) -> bool:
    if not given:
        return False
    return any(
        hmac.compare_digest(
            manage_token(key, appointment_id, version, salt).encode(), given.encode()
        )
        for key in secret_keys
    )


CODE_LENGTH = 8


def management_code(
    secret_key: str, appointment_id: int, version: int, salt: str | None = None
) -> str:
    """An 8-character code from the reference alphabet, printed in every message: with the
    reference it opens the visit where a link cannot be followed (no JavaScript, paper)."""
    message = _message("code", appointment_id, version, salt)
    number = int.from_bytes(hmac.new(secret_key.encode(), message, hashlib.sha256).digest()[:8])
    letters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[index])
    return "".join(letters)


def code_matches(
    secret_keys: Sequence[str],
    appointment_id: int,
    version: int,
    salt: str | None,
    given: str | None,
) -> bool:
    if not given:
        return False
    typed = "".join(ch for ch in given.upper() if ch not in "- ").translate(_CONFUSABLE)
    return any(
        hmac.compare_digest(
            management_code(key, appointment_id, version, salt).encode(), typed.encode()
        )
        for key in secret_keys
    )


def hold_code(secret_key: str, hold_id: int, resends: int) -> str:
    """The 6-digit code of a held seat: derived, never stored; each resend makes a new one."""
    message = f"hold-code:{hold_id}:{resends}".encode()
    number = int.from_bytes(hmac.new(secret_key.encode(), message, hashlib.sha256).digest()[:8])
    return f"{number % 1_000_000:06d}"


def waitlist_token(secret_key: str, entry_id: int, salt: str) -> str:
    """The link of a waiting-list entry (its status, its offers, leaving the list)."""
    message = _message("waitlist", entry_id, 0, salt)
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def waitlist_token_matches(
    secret_keys: Sequence[str], entry_id: int, salt: str, given: str | None
) -> bool:
    if not given:
        return False
    return any(
        hmac.compare_digest(waitlist_token(key, entry_id, salt), given) for key in secret_keys
    )


def waitlist_code(secret_key: str, entry_id: int) -> str:
    """The 6-digit code that checks a waiting-list entry's mobile: derived, never stored."""
    message = f"waitlist-code:{entry_id}".encode()
    number = int.from_bytes(hmac.new(secret_key.encode(), message, hashlib.sha256).digest()[:8])
    return f"{number % 1_000_000:06d}"
