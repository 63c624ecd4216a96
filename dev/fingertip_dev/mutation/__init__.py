"""Mutation testing of the core modules (``make mutation``; dev tooling, never imported by the runtime).

An in-process harness rather than ``mutmut``/``cosmic-ray``: the condition language's operator table,
its closures and other import-time code (regexes, constant tables, dataclass defaults) must be
mutated too, which ``mutmut`` 3's function trampolines cannot reach. The harness

* parses a module with :mod:`ast`, enumerates mutants (:mod:`.operators`), optionally samples them
  with a fixed seed (:mod:`.config`);
* imports pytest and the third-party libraries once, then forks one child per mutant: the child
  drops every project module from ``sys.modules``, serves the mutated source for the target module
  through an import hook, and runs the module's selected tests with ``pytest -x`` (exit 0: the
  mutant survived; a failure, an error or a collection error: killed; over the time limit: timeout);
* writes ``out/mutation.json`` and ``out/mutation-survivors.txt`` (:mod:`.__main__`).
"""
