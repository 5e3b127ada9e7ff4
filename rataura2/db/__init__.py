"""Definitions kept in the database: SQLAlchemy models, migrations and the engine."""
