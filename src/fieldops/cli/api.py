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
import sys
from typing import Any


def _db_url(args: argparse.Namespace) -> str:
    from fieldops.store.db import database_url

    return database_url(args.database_url)


def _serve(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from fieldops.api import create_app

    # Not the Flask instance folder: that is beside the package (src/instance in a
    # checkout), while `fieldops keys create` writes under the current directory.
    app = create_app({"DATABASE_URL": _db_url(args)})

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
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
    Database(os.environ["FIELDOPS_DATABASE_URL"]).upgrade()
    from fieldops.worker.celery_app import QUEUE, app

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
KEY_COLUMNS = ("id", "prefix", "role", "technician", "name", "created", "revoked")


def _when(at: Any) -> str:
    from fieldops.schemas import format_instant

    return format_instant(at) if at is not None else "-"


def _keys_list(args: argparse.Namespace) -> int:
    from fieldops.services.keys import list_api_keys

    db = _open_db(args)
    with db.session() as s:
        rows = [(str(r.id), r.prefix, r.role, r.technician_id or "-", r.name or "-",
                 _when(r.created_at), _when(r.revoked_at)) for r in list_api_keys(s)]
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
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    serve.add_argument("--threads", type=int, default=4, help="threads per worker")
    serve.set_defaults(func=_serve)

    worker = subparsers.add_parser("worker", parents=[common],
                                   help="run a Celery worker that solves queued plans and rosters")
    worker.add_argument("--broker-url", help="default: FIELDOPS_BROKER_URL")
    worker.add_argument("--pool", default="solo", choices=["solo", "threads", "prefork"])
    worker.add_argument("--concurrency", type=int, default=1)
    worker.add_argument("--loglevel", default="info")
    worker.add_argument("--hostname", help="Celery node name")
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
