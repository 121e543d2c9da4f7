"""The Matrix adapter (matrix-nio): rooms, encryption, sending with idempotent transaction ids,
incoming events turned into neutral ones."""
