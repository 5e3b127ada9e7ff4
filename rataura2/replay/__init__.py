"""Replaying recorded sessions on another version of their graph."""
