"""``python -m rataura2.cli``: the ``rataura2`` command."""

from rataura2.cli.main import main

main()
