"""The read-only open data API under /api/v1 (features add their controllers here)."""
