"""Session management: the live sessions of a process, on published graphs, with the store durability asks for."""
