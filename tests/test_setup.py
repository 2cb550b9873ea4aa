"""What a new installation relies on: health check, configuration, command line."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from caseapp import create_app
from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.returnees.models import Returnee


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.data) == {"status": "ok", "database": "up"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite",
                         "SECRET_KEY": "x", "TESTING": True})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.data)["database"] == "down"


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CASEAPP_INSTANCE_PATH", str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEAPP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example:5432/caseapp")
    from caseapp.config import database_url

    assert database_url(str(tmp_path)) == "postgresql+psycopg://u@db.example:5432/caseapp"
    monkeypatch.delenv("DATABASE_URL")
    assert database_url(str(tmp_path)).endswith("caseapp.sqlite")


def test_create_user_reads_the_password_from_the_environment(runner, app_ctx, monkeypatch):
    monkeypatch.setenv("CASEAPP_PASSWORD", "a long enough secret")
    result = runner.invoke(args=["create-user", "--username", "lela", "--display-name", "Lela K",
                                 "--role", "caseworker", "--office", "Telavi"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "lela"))
    assert user.role == Role.CASEWORKER and user.field_office.name == "Telavi"
    assert user.check_password("a long enough secret")
    assert "a long enough secret" not in result.output


def test_create_user_prompts_for_the_password_without_echo(runner, app_ctx, monkeypatch):
    monkeypatch.delenv("CASEAPP_PASSWORD", raising=False)
    result = runner.invoke(args=["create-user", "--username", "boss", "--display-name", "Boss", "--role", "admin"],
                           input="another long secret\nanother long secret\n")
    assert result.exit_code == 0, result.output
    assert "another long secret" not in result.output


def test_create_user_refuses_a_caseworker_without_office_and_a_short_password(runner, app_ctx, monkeypatch):
    monkeypatch.setenv("CASEAPP_PASSWORD", "short")
    result = runner.invoke(args=["create-user", "--username", "x", "--display-name", "X", "--role", "caseworker"])
    assert result.exit_code == 1
    assert "field_office_id" in result.output and "password" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_seed_demo_fills_every_office_and_every_assistance_type_once(runner, app_ctx):
    result = runner.invoke(args=["seed-demo", "--count", "120"])
    assert result.exit_code == 0, result.output
    assert "caseworker.gori" in result.output
    offices = set(db.session.scalars(select(Returnee.field_office_id).distinct()))
    assert len(offices) == 6
    from caseapp.assistance.models import AssistanceRecord, AssistanceType

    used = set(db.session.scalars(select(AssistanceType.code).join(AssistanceRecord).distinct()))
    assert len(used) == 14
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already holds returnees" in again.output
    assert db.session.scalar(select(func.count(Returnee.id))) == 120


def test_an_upload_over_the_limit_gets_a_clear_413(app, client, make, login):
    from caseapp.auth.models import Role

    login(make.user(Role.ADMIN, None))
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/imports/", data={"workbook": (__import__("io").BytesIO(b"x" * 5000), "big.xlsx")},
                               content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413 and "too large" in response.text
