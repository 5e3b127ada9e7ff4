"""``python -m rataura2``: the ``rataura2`` command."""

from rataura2.cli.main import main

main()
