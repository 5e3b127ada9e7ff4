"""Conversation documents: a whole conversation as one file, by names instead of database ids.

A document is what flows are kept in git as, what the studio loads and saves, and what a published version looks
like to a person. ``model`` is its shape (and JSON Schema), ``export`` reads one from the database (or from a
published version), ``apply`` writes one (atomic, idempotent), ``diff`` compares two, ``codec`` turns them into
JSON or YAML text and back.
"""
