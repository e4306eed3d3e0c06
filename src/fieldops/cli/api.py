"""Subcommands for the API side: ``serve``, ``worker``, ``keys create|list|revoke``,
``db upgrade``.

All four resolve the database the same way, with
:func:`fieldops.store.db.database_url`: ``--database-url``, else
``FIELDOPS_DATABASE_URL``, else ``instance/fieldops.sqlite3`` under the current
directory (``FIELDOPS_INSTANCE_DIR`` moves it); ``worker`` also reads
``FIELDOPS_BROKER_URL``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError:
        raise SystemExit(f"error: {name}={value!r} is not a whole number") from None


def _db_url(args: argparse.Namespace) -> str:
    from fieldops.store.db import database_url

    return database_url(args.database_url)


#: A secret in a query string (a feed token) as it would reach the access log.
_SECRET_QUERY = re.compile(r"(?i)((?:^|[?&;])(?:token|api_key|key)=)[^&;\s\"]*")
#: A tracking-link token in a path (``/track/<token>``, the customer's page).
_SECRET_PATH = re.compile(r"(/track/)[^/?#\s\"]+")
REDACTED = "[redacted]"
#: Seconds gunicorn lets a worker finish its requests on shutdown.
GRACEFUL_TIMEOUT_SECONDS = 10
#: Threads of a serving process besides gunicorn's request threads that use the
#: database: the lease reaper and the local pool's solve-result handler.
SERVE_BACKGROUND_THREADS = 2


def redact(text: str) -> str:
    """``text`` with the value of every ``token=`` (feed token) query parameter and
    every tracking token in a ``/track/`` path replaced: the access log must not hold
    a secret."""
    text = _SECRET_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    return _SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


def _logger_class() -> type:
    from gunicorn.glogging import Logger

    class RedactingLogger(Logger):
        """gunicorn's logger, with secrets taken out of every access-log field."""

        def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> Any:
            atoms = super().atoms(resp, req, environ, request_time)
            for key, value in list(atoms.items()):
                if isinstance(value, str) and ("=" in value or "/track/" in value):
                    atoms[key] = redact(value)
            return atoms

    return RedactingLogger


def _app_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The app settings given as ``serve`` flags (None: not given, the environment
    or the default applies)."""
    flags = {"WORKER_COUNT": args.solve_workers, "WORKER_MODE": args.worker_mode,
             "LEASE_SECONDS": args.lease_seconds, "MAX_SOLVE_SECONDS": args.max_solve_seconds,
             "IMPORT_MAX_ROWS": args.import_max_rows,
             "MAX_CONTENT_LENGTH": args.max_content_length}
    return {key: value for key, value in flags.items() if value is not None}


def _serve(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from fieldops.api import settings_from_env
    from fieldops.store.db import Database

    # Not the Flask instance folder: that is beside the package (src/instance in a
    # checkout), while `fieldops keys create` writes under the current directory.
    config = {"DATABASE_URL": _db_url(args), **_app_settings(args),
              "DB_POOL_SIZE": args.threads + SERVE_BACKGROUND_THREADS, "MIGRATE": False}
    try:
        settings_from_env()  # a bad FIELDOPS_… variable stops here, not in every worker
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Migrate once here; the workers then find the schema current.
    db = Database(config["DATABASE_URL"])
    db.upgrade()
    db.dispose()
    apps: list[Any] = []

    def worker_exit(_server: Any, _worker: Any) -> None:
        # A worker going down ends its running solves (their plans end `failed` by
        # the lease) instead of waiting for them or leaving them orphaned.
        for app in apps:
            app.extensions["fieldops"].backend.shutdown(wait=False, kill=True)

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 120)
            self.cfg.set("graceful_timeout", GRACEFUL_TIMEOUT_SECONDS)
            self.cfg.set("accesslog", args.access_log)
            self.cfg.set("logger_class", _logger_class())
            self.cfg.set("worker_exit", worker_exit)
            # No preload: each worker builds its app, so its database engine, after
            # the fork; an engine made before it shares sockets between workers.
            self.cfg.set("preload_app", False)

        def load(self) -> Any:
            from fieldops.api import create_app
            from fieldops.api.heap import freeze_startup_heap

            app = create_app(config)
            apps.append(app)
            # The start-up heap out of the cyclic GC's walks: each full collection
            # of it stalled the worker 130-230 ms (fieldops.api.heap).
            freeze_startup_heap(app)
            # Connections (and each PostgreSQL backend's catalog) ready before the
            # first burst of requests, not opened under it.
            from fieldops.store.models import Base

            app.extensions["fieldops"].db.warm(args.threads, Base.metadata)
            return app

    Server().run()
    return 0


def _worker(args: argparse.Namespace) -> int:
    if args.broker_url:
        os.environ["FIELDOPS_BROKER_URL"] = args.broker_url
    if not os.environ.get("FIELDOPS_BROKER_URL"):
        print("error: set FIELDOPS_BROKER_URL or --broker-url", file=sys.stderr)
        return 2
    from fieldops.store.db import Database

    # The Celery tasks open the database from the environment: hand them this one.
    os.environ["FIELDOPS_DATABASE_URL"] = _db_url(args)
    db = Database(os.environ["FIELDOPS_DATABASE_URL"])
    db.upgrade()
    from fieldops.services.jobs import DEFAULT_LEASE_SECONDS
    from fieldops.worker.celery_app import QUEUE, app
    from fieldops.worker.runner import start_reaper

    lease = args.lease_seconds or float(os.environ.get("FIELDOPS_LEASE_SECONDS")
                                        or DEFAULT_LEASE_SECONDS)
    # Plans whose worker died end `failed` within the lease, read or not.
    start_reaper(db, lease)
    argv = ["worker", "-Q", args.queue or QUEUE, "--pool", args.pool, "--concurrency",
            str(args.concurrency), "--loglevel", args.loglevel, "--without-gossip",
            "--without-mingle"]
    if args.hostname:
        argv += ["--hostname", args.hostname]
    app.worker_main(argv)
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from fieldops.store.db import Database
    from fieldops.store.keys import create_api_key

    db = Database(_db_url(args))
    db.upgrade()
    with db.session() as s:
        row, secret = create_api_key(s, args.role, args.technician, args.name)
        key_id = row.id
    print(secret)
    print(f"key {key_id} ({args.role}); store it now, it is not shown again", file=sys.stderr)
    return 0


def _open_db(args: argparse.Namespace) -> Any:
    from fieldops.store.db import Database

    db = Database(_db_url(args))
    db.upgrade()
    return db


#: ``fieldops keys list`` columns; never the secret (only its first characters).
KEY_COLUMNS = ("id", "prefix", "role", "technician", "name", "created", "last_used",
               "revoked")


def _when(at: Any) -> str:
    from fieldops.schemas import format_instant

    return format_instant(at) if at is not None else "-"


def _keys_list(args: argparse.Namespace) -> int:
    from fieldops.services.keys import list_api_keys

    db = _open_db(args)
    with db.session() as s:
        rows = [(str(r.id), r.prefix, r.role, r.technician_id or "-", r.name or "-",
                 _when(r.created_at), _when(r.last_used_at), _when(r.revoked_at))
                for r in list_api_keys(s)]
    db.dispose()
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(KEY_COLUMNS)]
    for line in (KEY_COLUMNS, *rows):
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from fieldops.services.errors import ServiceError
    from fieldops.services.keys import revoke_key_by_ref

    db = _open_db(args)
    try:
        with db.session() as s:
            row = revoke_key_by_ref(s, args.key)
            key_id, role, prefix, at = row.id, row.role, row.prefix, _when(row.revoked_at)
    except ServiceError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(f"key {key_id} ({role}, {prefix}…) revoked at {at}; it answers 401 from now on")
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from fieldops.store.db import Database, current_revision

    db = Database(_db_url(args))
    db.upgrade(args.revision)
    print(f"database at revision {current_revision(db.engine)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add this module's subcommands. Each sets ``func(args) -> int``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="SQLAlchemy URL (default: FIELDOPS_DATABASE_URL"
                        " or instance/fieldops.sqlite3)")

    serve = subparsers.add_parser("serve", parents=[common],
                                  help="run the HTTP API (gunicorn, gthread workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=_env_int("FIELDOPS_WEB_WORKERS", 2),
                       help="gunicorn worker processes [FIELDOPS_WEB_WORKERS] (2)")
    serve.add_argument("--threads", type=int, default=_env_int("FIELDOPS_WEB_THREADS", 4),
                       help="threads per worker [FIELDOPS_WEB_THREADS] (4)")
    serve.add_argument("--access-log", default=os.environ.get("FIELDOPS_ACCESS_LOG", "-"),
                       help="access log file, '-' for stdout [FIELDOPS_ACCESS_LOG]; feed "
                       "tokens are redacted")
    serve.add_argument("--solve-workers", type=int,
                       help="solves run at once by the local pool [FIELDOPS_WORKER_COUNT] (2)")
    serve.add_argument("--worker-mode", choices=["process", "thread"],
                       help="local pool runs solves in processes or threads "
                       "[FIELDOPS_WORKER_MODE] (process)")
    serve.add_argument("--lease-seconds", type=float,
                       help="a solve without a heartbeat this long is failed "
                       "[FIELDOPS_LEASE_SECONDS] (60)")
    serve.add_argument("--max-solve-seconds", type=float,
                       help="largest params.time_limit accepted [FIELDOPS_MAX_SOLVE_SECONDS] "
                       "(3600)")
    serve.add_argument("--import-max-rows", type=int,
                       help="rows per bulk import [FIELDOPS_IMPORT_MAX_ROWS] (10000)")
    serve.add_argument("--max-content-length", type=int,
                       help="request body limit in bytes [FIELDOPS_MAX_CONTENT_LENGTH] "
                       "(33554432)")
    serve.set_defaults(func=_serve)

    worker = subparsers.add_parser("worker", parents=[common],
                                   help="run a Celery worker that solves queued plans and rosters")
    worker.add_argument("--broker-url", help="default: FIELDOPS_BROKER_URL")
    worker.add_argument("--pool", default="solo", choices=["solo", "threads", "prefork"])
    worker.add_argument("--concurrency", type=int, default=1)
    worker.add_argument("--loglevel", default="info")
    worker.add_argument("--hostname", help="Celery node name")
    worker.add_argument("--lease-seconds", type=float,
                        help="the reaper fails solves without a heartbeat this long "
                        "[FIELDOPS_LEASE_SECONDS] (60)")
    worker.add_argument("--queue", help="queue to consume (default: FIELDOPS_CELERY_QUEUE "
                        "or 'fieldops')")
    worker.set_defaults(func=_worker)

    keys = subparsers.add_parser("keys", help="manage API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = keys_sub.add_parser("create", parents=[common],
                                 help="create an API key and print it (once)")
    create.add_argument("--role", required=True,
                        choices=["admin", "dispatcher", "manager", "technician"])
    create.add_argument("--technician", help="technician id (technician role only)")
    create.add_argument("--name", help="a label for the key")
    create.set_defaults(func=_keys_create)
    listing = keys_sub.add_parser("list", parents=[common],
                                  help="list API keys: id, prefix, role, created, revoked "
                                       "(never the secret)")
    listing.set_defaults(func=_keys_list)
    revoke = keys_sub.add_parser("revoke", parents=[common],
                                 help="revoke an API key (it answers 401 from then on)")
    revoke.add_argument("key", help="the key's id, or the start of its prefix (fo_…)")
    revoke.set_defaults(func=_keys_revoke)

    db = subparsers.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = db_sub.add_parser("upgrade", parents=[common], help="apply migrations")
    up.add_argument("--revision", default="head")
    up.set_defaults(func=_db_upgrade)
