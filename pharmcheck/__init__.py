"""pharmcheck."""
