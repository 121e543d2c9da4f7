"""Live sessions in the chat: members, the chair and the clerk."""
