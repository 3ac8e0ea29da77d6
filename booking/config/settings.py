"""One settings object, built once from config/settings.toml then GUICHET_* variables."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from zoneinfo import available_timezones

DEFAULT_FILE = Path("config/settings.toml")
DEV_SECRET = "dev-insecure-secret-change-me"
# France with its overseas départements and collectivities, and the European Union.
SMS_COUNTRIES = (
    "FR,RE,YT,GP,MQ,GF,PM,BL,MF,NC,PF,WF,"
    "AT,BE,BG,CY,CZ,DE,DK,EE,ES,FI,GR,HR,HU,IE,IT,LT,LU,LV,MT,NL,PL,PT,RO,SE,SI,SK"
)


class SettingsError(ValueError):
    """The settings file or environment holds a value Guichet cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/guichet.db"
    secret_key: str = DEV_SECRET
    previous_secret_keys: str = ""  # comma-separated: they still verify links already sent
    environment: str = "production"
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    procedures_dir: str = ""  # empty: the catalogue shipped with Guichet
    demo_file: str = ""  # empty: the demo shipped with Guichet
    default_language: str = "fr"
    default_timezone: str = "Europe/Paris"  # "today" where no site is known
    alternatives_count: int = 5
    idempotency_ttl_hours: int = 24
    retention_days: int = 365
    sms_backend: str = "console"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_api_base: str = ""
    email_backend: str = "console"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "rendez-vous@guichet.invalid"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    reminder_deadline_hours: int = 2
    dispatch_interval_seconds: int = 5
    dispatch_lease_seconds: int = 120
    dispatch_batch: int = 200  # messages a worker claims at once
    # Messages a worker sends side by side; workers x this should stay under the provider's
    # account concurrency (Twilio: 100 requests by default), so 4 workers x 24.
    dispatch_concurrency: int = 24
    dispatch_in_serve: bool = True
    send_rate_per_second: float = 0.0
    sms_per_number_per_day: int = 5
    quiet_hours: bool = True
    log_level: str = "info"
    log_format: str = "text"  # or "json": one object a line
    staff_idle_minutes: int = 30
    staff_session_hours: int = 12
    forwarded_allow_ips: str = ""  # proxies whose X-Forwarded-For gives the client's address
    audit_retention_days: int = 730
    # Scarce seats (fair access): how long a seat is held for its code, how many booking
    # attempts an address may make an hour, how many live visits a person may have for one
    # procedure, and the countries whose mobiles get codes by SMS (ISO codes).
    hold_minutes: int = 10
    booking_attempts_per_hour: int = 20
    live_visits_per_person: int = 1
    sms_countries: str = SMS_COUNTRIES
    # A seat freed by a citizen (or a hold given up) returns to the public after a delay drawn
    # between these minutes, per seat (both 0: at once); staff may book it meanwhile.
    freed_seat_delay_min: int = 15
    freed_seat_delay_max: int = 45
    # New days open to the public at this local time (sites may override it), plus a random
    # 0 to `release_jitter_minutes` drawn per site and day; staff share (per site) opens to the
    # public `staff_share_opens_days` before its day, at that day's release time.
    # A seat freed goes first to the waiting list: held this many minutes of daytime for
    # the first person in line who fits.
    offer_minutes: int = 120
    # Connections each process keeps to PostgreSQL; the oldest due message beyond this age
    # makes /health/jobs fail (not /health/ready: a backlog must not take web processes out).
    database_pool_size: int = 5
    metrics_token: str = ""  # bearer token of /metrics; empty: loopback only, never proxied
    jobs_outbox_max_age_seconds: int = 300
    release_time: str = "08:00"
    release_jitter_minutes: int = 0
    staff_share_opens_days: int = 2
    # Argon2 cost of staff passwords (argon2-cffi's defaults, RFC 9106's low-memory profile).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    @property
    def sms_regions(self) -> frozenset[str]:
        return frozenset(c.strip().upper() for c in self.sms_countries.split(",") if c.strip())

    @property
    def previous_keys(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.previous_secret_keys.split(",") if k.strip())

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file (if present), then apply GUICHET_* overrides, then validate."""
    path = path or Path(os.environ.get("GUICHET_SETTINGS_FILE", DEFAULT_FILE))
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if path.exists():
        with path.open("rb") as handle:
            values.update(tomllib.load(handle))
    known = {f.name: f for f in fields(Settings)}
    unknown = set(values) - set(known)
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    for name, field in known.items():
        raw = environ.get(f"GUICHET_{name.upper()}")
        if raw is None:
            continue
        values[name] = _typed(name, field.type, raw)
    settings = Settings(**values)  # type: ignore[arg-type]
    _validate(settings)
    return settings


def _typed(name: str, kind: object, raw: str) -> object:
    try:
        if kind in ("int", int):
            return int(raw)
        if kind in ("float", float):
            return float(raw)
    except ValueError as exc:
        expected = "an integer" if kind in ("int", int) else "a number"
        raise SettingsError(f"GUICHET_{name.upper()} must be {expected}") from exc
    if kind in ("bool", bool):
        if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise SettingsError(f"GUICHET_{name.upper()} must be true or false")
        return raw.lower() in ("1", "true", "yes")
    return raw


def _validate(settings: Settings) -> None:
    if not (1 <= settings.dispatch_concurrency <= 64) or settings.dispatch_batch < 1:
        raise SettingsError("dispatch_concurrency must be 1 to 64, dispatch_batch positive")
    if settings.environment not in ("development", "production"):
        raise SettingsError("environment must be 'development' or 'production'")
    if settings.environment == "production" and settings.secret_key == DEV_SECRET:
        raise SettingsError("secret_key: set GUICHET_SECRET_KEY to a private value in production")
    if len(settings.secret_key) < 16:
        raise SettingsError("secret_key must be at least 16 characters long")
    if any(len(key) < 16 for key in settings.previous_keys):
        raise SettingsError("previous_secret_keys: each key must be at least 16 characters long")
    if not 1 <= settings.hold_minutes <= 60:
        raise SettingsError("hold_minutes must be between 1 and 60")
    if settings.booking_attempts_per_hour < 1 or settings.live_visits_per_person < 1:
        raise SettingsError("booking_attempts_per_hour and live_visits_per_person must be positive")
    if not 0 <= settings.freed_seat_delay_min <= settings.freed_seat_delay_max <= 24 * 60:
        raise SettingsError("freed_seat_delay_min and _max: 0 <= min <= max <= 1440 minutes")
    if not 1 <= settings.database_pool_size <= 100:
        raise SettingsError("database_pool_size must be between 1 and 100")
    if settings.jobs_outbox_max_age_seconds < 1:
        raise SettingsError("jobs_outbox_max_age_seconds must be positive")
    if not 15 <= settings.offer_minutes <= 48 * 60:
        raise SettingsError("offer_minutes must be between 15 and 2880")
    if parse_release_time(settings.release_time) is None:
        raise SettingsError("release_time must be a local time written HH:MM, e.g. 08:00")
    if not 0 <= settings.release_jitter_minutes <= 30:
        raise SettingsError("release_jitter_minutes must be between 0 and 30")
    if not 0 <= settings.staff_share_opens_days <= 30:
        raise SettingsError("staff_share_opens_days must be between 0 and 30")
    if settings.retention_days < 1:
        raise SettingsError("retention_days must be at least 1")
    if settings.default_timezone not in available_timezones():
        raise SettingsError("default_timezone must be an IANA time zone, e.g. Europe/Paris")
    if settings.default_language not in ("fr", "en"):
        raise SettingsError("default_language must be 'fr' or 'en'")
    if not settings.database_url.startswith(("sqlite://", "postgresql://", "postgres://")):
        raise SettingsError("database_url must start with sqlite:// or postgresql://")
    if settings.log_format not in ("text", "json"):
        raise SettingsError("log_format must be 'text' or 'json'")
    if settings.log_level not in ("debug", "info", "warning", "error"):
        raise SettingsError("log_level must be debug, info, warning or error")
    if settings.sms_backend not in ("console", "twilio"):
        raise SettingsError("sms_backend must be 'console' or 'twilio'")
    if settings.email_backend not in ("console", "smtp"):
        raise SettingsError("email_backend must be 'console' or 'smtp'")
    if settings.sms_backend == "twilio" and not (
        settings.twilio_account_sid
        and settings.twilio_auth_token
        and (settings.twilio_from or settings.twilio_messaging_service_sid)
    ):
        raise SettingsError(
            "sms_backend 'twilio' needs GUICHET_TWILIO_ACCOUNT_SID, GUICHET_TWILIO_AUTH_TOKEN and"
            " GUICHET_TWILIO_FROM or GUICHET_TWILIO_MESSAGING_SERVICE_SID"
        )


def parse_release_time(text: str) -> time | None:
    """`HH:MM` as a time of day, None when it is not one."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return time(hours, minutes)
    except ValueError:
        return None
