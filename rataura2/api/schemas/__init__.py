"""Request and response bodies of the HTTP API (pydantic), grouped as the routes are."""
