"""Definitions kept in the database: SQLAlchemy models, migrations and the engine.

Importing it registers the save-time checks of :mod:`rataura2.db.validation` with SQLAlchemy, so that every
session that stores definitions checks them at commit.
"""

from rataura2.db import validation as validation
