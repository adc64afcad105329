"""Community polls: verified voters, secret ballots with receipts, results anyone can re-tally."""
