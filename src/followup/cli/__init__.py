"""The ``followup`` command line (``followup --help``)."""

from followup.cli.main import cli, main

__all__ = ["cli", "main"]
