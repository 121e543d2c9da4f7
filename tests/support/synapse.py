"""The tests use the same local homeserver runner as the bot's demo mode."""

from bot.local_homeserver import SynapseError, SynapseServer

__all__ = ["SynapseError", "SynapseServer"]
