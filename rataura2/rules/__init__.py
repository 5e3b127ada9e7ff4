"""Business-rules rule sets kept in the database: saving them validated (``repository``) and the rule editor's
metadata (``editor``). Evaluating them is the core's business (``rataura2.core.conditions.business_rules``)."""
