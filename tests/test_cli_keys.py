"""``fieldops keys create|list|revoke`` as an operator runs them, against a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldops.cli import main
from fieldops.store.db import Database
from fieldops.store.keys import find_api_key
from fieldops.store.models import ApiKey


def _create(url: str, role: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["keys", "create", "--role", role, "--database-url", url, *extra]) == 0
    return capsys.readouterr().out.strip()


def _live(url: str, secret: str) -> bool:
    db = Database(url)
    try:
        with db.session() as s:
            return find_api_key(s, secret) is not None
    finally:
        db.dispose()


def _list(url: str, capsys: pytest.CaptureFixture[str]) -> list[list[str]]:
    assert main(["keys", "list", "--database-url", url]) == 0
    out = capsys.readouterr().out
    return [line.split() for line in out.splitlines()]


def test_list_shows_keys_without_their_secrets(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    assert _list(url, capsys) == [["id", "prefix", "role", "technician", "name", "created",
                                   "last_used", "revoked"]]  # no key yet: the header alone
    admin = _create(url, "admin", capsys, "--name", "ops")
    manager = _create(url, "manager", capsys)
    lines = _list(url, capsys)
    assert lines[0] == ["id", "prefix", "role", "technician", "name", "created", "last_used",
                        "revoked"]
    rows = {r[0]: r for r in lines[1:]}
    assert set(rows) == {"1", "2"}
    assert rows["1"][1:5] == [admin[:10], "admin", "-", "ops"]
    assert rows["2"][2] == "manager" and rows["2"][6] == "-" and rows["2"][7] == "-"
    assert rows["1"][5].endswith("+00:00")
    out = "\n".join(" ".join(r) for r in lines)
    for secret in (admin, manager):
        assert secret not in out and secret[10:] not in out


def test_revoke_by_id_and_by_prefix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    first = _create(url, "dispatcher", capsys)
    second = _create(url, "dispatcher", capsys)
    assert main(["keys", "revoke", "1", "--database-url", url]) == 0
    assert "key 1 (dispatcher" in capsys.readouterr().out
    assert not _live(url, first) and _live(url, second)
    assert main(["keys", "revoke", second[:8], "--database-url", url]) == 0
    capsys.readouterr()
    assert not _live(url, second)
    revoked = {r[0]: r[7] for r in _list(url, capsys)[1:]}
    assert all(v.endswith("+00:00") for v in revoked.values())
    # Revoking again keeps the first revocation time.
    assert main(["keys", "revoke", "2", "--database-url", url]) == 0
    capsys.readouterr()
    assert {r[0]: r[7] for r in _list(url, capsys)[1:]} == revoked


def test_revoke_refuses_unknown_and_ambiguous_refs(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    keys = [_create(url, "manager", capsys) for _ in range(2)]
    for ref, message in (("9", "not found"), ("fo_zzzzzzz", "no API key"),
                         ("fo_", "neither a key id"), ("bogus", "neither a key id")):
        assert main(["keys", "revoke", ref, "--database-url", url]) == 2
        assert message in capsys.readouterr().err, ref
    # A whole key names itself.
    assert main(["keys", "revoke", keys[1], "--database-url", url]) == 0
    capsys.readouterr()
    assert _live(url, keys[0]) and not _live(url, keys[1])


def test_revoke_refuses_a_prefix_shared_by_two_keys(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    db = Database(url)
    db.upgrade()
    with db.session() as s:  # two keys whose random parts happen to start alike
        s.add_all([ApiKey(key_hash="a" * 64, prefix="fo_abcdefg", role="admin"),
                   ApiKey(key_hash="b" * 64, prefix="fo_abcdxyz", role="admin")])
    db.dispose()
    assert main(["keys", "revoke", "fo_abcd", "--database-url", url]) == 2
    assert "matches keys 1, 2" in capsys.readouterr().err
    assert main(["keys", "revoke", "fo_abcdx", "--database-url", url]) == 0
    assert "key 2 (admin, fo_abcdxyz" in capsys.readouterr().out
