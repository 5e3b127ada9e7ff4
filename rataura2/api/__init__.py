"""The HTTP API (FastAPI): definitions, documents, versions, live sessions, the original business-rules routes,
tokens and operations. ``create_app`` builds it; ``rataura2 serve`` runs it on uvicorn. See docs/api.md."""
