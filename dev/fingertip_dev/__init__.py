"""Fingertip's development tooling — not part of the runtime package and never shipped in the wheel.

The demo, the stub source server, the sample generator, the local mail catcher, the benchmarks and
the loader of Astro's ``airflow_settings.yaml``. The runtime package ``fingertip`` never imports
this package (a test checks it); this package imports the runtime freely.
"""
