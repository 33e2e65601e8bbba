"""Core: clocks, newest-wins mailboxes, error types and plain value types. No heavy imports."""
