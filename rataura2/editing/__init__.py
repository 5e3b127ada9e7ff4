"""Editing a conversation's definition in place: the revision that guards concurrent edits, where agents sit on
the canvas, and taking an agent out of a conversation. The HTTP API and document imports share these."""
