"""Throttling of guessable actions (sign-in, codes, resets), shared by all workers."""
