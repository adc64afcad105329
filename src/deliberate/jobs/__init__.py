"""A durable job queue in the database: work that does not belong in a request (rendering
and signing minutes), done by every web worker's background loop — no extra process."""
