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


def load_settings(home: Path | None = None) -> Settings:
    """Settings from the environment, with ``home`` (e.g. ``--home``) taking precedence."""
    settings = Settings()
    if home is not None:
        settings = settings.model_copy(update={"home": home})
    return settings
