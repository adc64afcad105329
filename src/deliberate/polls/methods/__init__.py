"""Tallies, one pure module per method: ballots in, result out (see common.py)."""
