"""Scenario tests of conversation graphs."""
