"""Benchmarks of the overdue run; not part of the test command (see README.md)."""
