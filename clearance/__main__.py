"""``python -m clearance``."""

from clearance.cli.main import app

app()
