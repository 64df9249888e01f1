"""Trellis (教师成长轨迹): the Flask application — LTI launch, pages, JSON API, CLI, persistence."""

from lti_tool.app import create_app

__all__ = ["create_app"]
