"""The EVE Online assistant: a seeded conversation and a scripted session that shows every condition type."""
