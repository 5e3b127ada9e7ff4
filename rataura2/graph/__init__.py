"""Conversation graphs: plain specs loaded from the database, compiled once, shared by every session."""
