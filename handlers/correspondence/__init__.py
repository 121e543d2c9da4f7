"""Correspondence sessions in the chat: members confirm and vote, clerks prepare sessions."""
