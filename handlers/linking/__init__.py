"""Linking a chat account with a code, and the clerk's list of who is linked."""
