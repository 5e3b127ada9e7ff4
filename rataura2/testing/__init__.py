"""Testing conversations before they ship: scenario files run from the command line or by pytest (in-process on
the session core, or on a real text-mode LiveKit AgentSession), their graphs loaded from a seed, a document or a
database, and recorded sessions replayed on another version of their graph.

The shell around the pure :mod:`rataura2.scenarios` and :mod:`rataura2.replay`: this package does the I/O.
"""
