"""Events, and (in ``factory``/``offline_llm``) the LiveKit side of agents."""
