"""Benchmarks: ``python -m bench`` (or ``make bench``) measures rataura2 against its peers and a budget."""
