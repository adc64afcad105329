"""Outgoing messages: written to the outbox in the sender's transaction, then delivered."""
