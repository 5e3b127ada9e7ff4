"""The brief's path for the rule editor's side: a re-export of :mod:`rataura2.rules.editor`."""

from rataura2.rules.editor import generate_ui_config, json_to_rules, rules_to_json

__all__ = ["generate_ui_config", "json_to_rules", "rules_to_json"]
