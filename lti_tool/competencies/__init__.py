"""The competency engine's application side: persistence, processing, CLI and JSON API.

The pure rules live in ``competency_models``; this package stores frameworks, rule sets,
evidence, estimates and trajectories, and keeps them up to date from the statement outbox.
"""
