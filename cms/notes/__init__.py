"""Editorial notes and presence: what the review desk shares between editors, never partners."""
