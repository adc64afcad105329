"""Areas; later: verified residents and eligibility rules."""
