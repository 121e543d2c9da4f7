-- Sejabot schema version 15: a live-session invitation's sender is a bot process (issue 15).
--
-- ``claimed_by`` names the bot process that claimed the invitation (``claimed_at``, a lease).
-- A claim left by a process that stopped or crashed lapses at once, so the next start resumes
-- the member's invitation instead of waiting out the lease; the messages the platform already
-- accepted are recorded in the send ledger (``send_batch_messages``, batch kind
-- ``live_invitation``), so the resumed pass sends only those not yet recorded.
ALTER TABLE live_invitations ADD COLUMN claimed_by TEXT;
