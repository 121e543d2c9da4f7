"""Everything a member, the chair and the clerk read about live sessions: the shared words
(common), invitations and answers (invitations), ballots and the confirmation step (votes),
announced results (results)."""
