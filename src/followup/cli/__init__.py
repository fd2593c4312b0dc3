"""The ``followup`` command line (``followup --help``)."""

from followup.cli import export, web  # register export; serve, createuser, backup, restore, audit
from followup.cli.main import cli, main

__all__ = ["cli", "export", "main", "web"]
