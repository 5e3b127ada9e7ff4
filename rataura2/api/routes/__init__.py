"""The API's routers, one per concern; ``rataura2.api.app`` includes them."""
