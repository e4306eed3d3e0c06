"""Independent validators: they re-check a plan or a roster from the raw problem.

They import the domain and the travel matrix (``geo``) and nothing from
``fieldops.solver``, so a bug in the solver cannot hide from them
(``tests/test_layers.py`` checks this).

- :mod:`fieldops.validators.dispatch`: ``validate_plan`` / ``assert_valid``.
- :mod:`fieldops.validators.roster`: ``validate_roster`` / ``assert_roster_valid``.
"""
