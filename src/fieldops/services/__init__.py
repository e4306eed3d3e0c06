"""Use cases shared by the API, the CLI and the worker.

Each function takes an open SQLAlchemy session (or a :class:`~fieldops.store.db.Database`
when it runs several transactions) and domain objects or plain arguments, and raises
:class:`~fieldops.domain.errors.FieldError` or a :mod:`fieldops.services.errors` class,
which the API's one error handler turns into a problem document. Nothing here imports
Flask: the edges (``api/``, ``cli``, ``worker/``) stay thin.

=================  ==============================================================
``plans``          the day's problem from the store, queueing, the plan solve job,
                   publishing (the request status machine of a publish)
``rosters``        roster input checks, queueing, the roster solve job, publishing
``jobs``           the one solve-job runner: claim, heartbeat, finish, fail, reap
``requests``       creating, editing, importing requests; the status machine
``request_csv``    the request CSV format
``resources``      technicians, shifts, tiers, skills, customers over ``crud``
``crud``           the one CRUD helper, ``get`` and ``page``
``feeds``          calendar feeds: token rotation, lookup and assembly
``keys``           API key listing and revocation
``workforce``      forecasts and staffing from records
=================  ==============================================================
"""
