"""Discovery of government apps listed in a store but missing from the inventory (台账).

``matching`` scores a listing against the sponsoring units; ``apple`` runs the rolling Apple discovery
(Lookup by developer account, Search by sponsor name) within the day's share of Apple's request budget
and records what it found. Nothing here imports Airflow.
"""
