"""Followup: run a study's follow-up questionnaire and turn the answers into survival results."""

__version__ = "0.1.0"
