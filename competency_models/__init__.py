"""Trellis competency engine core: pure, typed domain code (no Flask, no SQLAlchemy, no HTTP)."""
