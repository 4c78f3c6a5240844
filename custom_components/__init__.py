"""Custom integrations (so tests can import this folder as a package)."""
