"""Fingertip: lifecycle governance of government apps, official accounts and work groups."""

__version__ = "0.1.0"
