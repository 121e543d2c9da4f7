"""Correspondence sessions (dopisne seje): creating them, invitations, votes, reminders, the
tally, closing, results and minutes, and ``sejabot session``."""
