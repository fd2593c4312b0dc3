"""Capture: the web application where each hospital answers its questionnaires (Django).

Roles and hospitals (access groups) decide what a user sees; every change of a value is written to
an append-only, hash-chained audit trail; forms are rendered from the study's REDCap dictionary and
checked by ``followup.study``'s validation, in the browser and again on the server.
"""
