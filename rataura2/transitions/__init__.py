"""The brief's paths for business-rules transitions: re-exports of :mod:`rataura2.rules`."""
