"""The brief's path for the graph manager: a re-export. The compiled graph lives in :mod:`rataura2.core.graph`."""
