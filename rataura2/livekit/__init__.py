"""The LiveKit shell: agents built from definitions, the session bridge, the worker and the terminal chat.

Everything here may import livekit-agents; nothing below this layer does.
"""
