"""Business-rules transitions: stored rule sets (``business_rules_adapter``) and the rule editor's side (``web_ui``)."""
