"""Articles as versioned documents: numbered, immutable revisions."""
