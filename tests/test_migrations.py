"""The migrations make exactly the schema the models describe, on SQLite and on PostgreSQL, and keep what is stored:
0004 drops the global uniqueness of tool names without losing a tool or any row that points at one (SQLite rebuilds
the table for it)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from rataura2.db.models import Base
from rataura2.db.session import Database, alembic_config, make_engine, upgrade


def test_the_migrated_schema_is_the_models_schema(sessions: Database) -> None:
    with sessions.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_the_chain_has_one_head(sessions: Database) -> None:
    assert len(ScriptDirectory.from_config(alembic_config(sessions.engine)).get_heads()) == 1


def test_tool_names_stop_being_unique_across_the_database_and_nothing_is_lost(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agents (id, name, instructions, agent_type, llm_provider, stt_provider, "
                "tts_provider, is_active) VALUES (1, 'A', '', 'general', 'offline', 'none', 'none', true), "
                "(2, 'B', '', 'general', 'offline', 'none', 'none', true)"
            )
        )
        conn.execute(
            text("INSERT INTO tools (id, name, function_name, is_active) VALUES (7, 'end_conversation', 'end', true)")
        )
        conn.execute(text("INSERT INTO agent_tools (agent_id, tool_id) VALUES (1, 7)"))
        conn.execute(
            text(
                "INSERT INTO transitions (id, source_agent_id, target_agent_id, condition_type, priority, "
                "tool_id) VALUES (3, 1, 2, 'tool_result', 0, 7)"
            )
        )
    upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT agent_id, tool_id FROM agent_tools")).all() == [(1, 7)]
        assert conn.execute(text("SELECT tool_id FROM transitions WHERE id = 3")).scalar_one() == 7
        conn.execute(
            text("INSERT INTO tools (id, name, function_name, is_active) VALUES (8, 'end_conversation', 'end', true)")
        )
        names = conn.execute(text("SELECT name FROM tools ORDER BY id")).scalars().all()
        assert names == ["end_conversation", "end_conversation"]
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
    with engine.begin() as conn:  # the foreign keys are enforced again after the rebuild
        conn.execute(text("DELETE FROM tools WHERE id = 7"))
        assert conn.execute(text("SELECT count(*) FROM agent_tools")).scalar_one() == 0
    engine.dispose()
