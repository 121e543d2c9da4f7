"""Association surveys: questionnaires, sending them, answers in the chat, reminders and
deadlines, the report, and ``sejabot survey``."""
