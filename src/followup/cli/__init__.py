"""The ``followup`` command line (``followup --help``)."""

from followup.cli import web  # registers serve, createuser, backup, restore, audit
from followup.cli.main import cli, main

__all__ = ["cli", "main", "web"]
