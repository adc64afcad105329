"""Consultations: the matter put before residents, its stages and its followers."""
