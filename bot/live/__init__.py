"""Live remote and hybrid sessions: convening and invitations, presence and the quorum, public,
roll-call and secret votes, elections, results, the minutes, and ``sejabot live``."""
