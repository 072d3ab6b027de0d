from __future__ import annotations

from pathlib import Path

import pytest

from app.db import migrations


def test_alembic_ini_beside_the_package_is_used_first() -> None:
    assert migrations.find_alembic_ini() == migrations.BACKEND_DIR / "alembic.ini"


def test_an_installed_package_finds_alembic_ini_in_the_working_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(migrations, "BACKEND_DIR", tmp_path / "site-packages")
    (tmp_path / "alembic.ini").write_text("[alembic]\n")
    monkeypatch.chdir(tmp_path)

    assert migrations.find_alembic_ini() == tmp_path / "alembic.ini"


def test_no_alembic_ini_anywhere_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(migrations, "BACKEND_DIR", tmp_path / "site-packages")
    monkeypatch.chdir(tmp_path)

    with pytest.raises(migrations.MigrationsNotFound, match="alembic.ini not found"):
        migrations.find_alembic_ini()
