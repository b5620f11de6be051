"""Clearance."""
