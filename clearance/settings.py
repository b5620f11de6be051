"""Settings from the environment; the only module that reads ``os.environ``."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("clearance", appauthor=False))


class Settings(BaseSettings):
    """``CLEARANCE_HOME``: the data directory (store, downloads' validators, saved
    screening indexes). Nothing is written anywhere else, except the store itself when
    ``CLEARANCE_DATABASE_URL`` names a PostgreSQL database."""

    model_config = SettingsConfigDict(env_prefix="CLEARANCE_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    shared_data: Path | None = (
        None  # CLEARANCE_SHARED_DATA: folder of official snapshots
    )
    database_url: str | None = (
        None  # CLEARANCE_DATABASE_URL: postgresql://user@host/db; unset: SQLite in home
    )
    # monitoring: where alerts are POSTed (signed with the secret) and the digest written
    webhook_url: str | None = None  # CLEARANCE_WEBHOOK_URL
    webhook_secret: str | None = None  # CLEARANCE_WEBHOOK_SECRET
    digest_file: Path | None = None  # CLEARANCE_DIGEST_FILE
    # HTTP API (`clearance serve`), each CLEARANCE_API_<NAME>:
    api_max_queries: int = Field(100, ge=1)  # queries per /match or /reconcile request
    api_max_body: int = Field(1_000_000, ge=1024)  # bytes of one request body
    api_max_upload: int = Field(20_000_000, ge=1024)  # bytes of a web batch upload
    api_timeout: float = Field(30.0, gt=0)  # seconds before a request answers 504
    api_workers: int = Field(8, ge=1)  # threads that run screening requests
    api_read_key_required: bool = False  # read endpoints need an API key too
    api_reload_interval: float = Field(
        60.0, ge=0
    )  # seconds between checks for new list versions (0: never)


def load_settings(home: Path | None = None) -> Settings:
    """Settings from the environment, with ``home`` (e.g. ``--home``) taking precedence."""
    settings = Settings()
    if home is not None:
        settings = settings.model_copy(update={"home": home})
    return settings
