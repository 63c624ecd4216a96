"""Airflow hooks: each owns one connection and its I/O."""
