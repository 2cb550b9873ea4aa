"""A supervisor's import learns nothing about another office's returnees."""
from __future__ import annotations

from caseapp.auth.models import Role
from tests.test_import_web import upload
from tests.test_imports import returnee_row


def test_personal_number_clash_with_another_office_does_not_name_that_returnee(make, login, client):
    make.returnee("Tbilisi", personal_number="01234567891", external_id="TBS-SECRET-7")
    make.returnee("Gori", personal_number="01234567892", external_id="GORI-OWN-1")
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = upload(client, returnees=[returnee_row("NEW-1", personal_number="01234567891"),
                                         returnee_row("NEW-2", personal_number="01234567892")])
    assert response.status_code == 200
    assert "This personal number is already registered" in response.text
    assert "TBS-SECRET-7" not in response.text
    assert "GORI-OWN-1" in response.text  # one's own office's returnee is named, to find them


def test_a_nul_character_in_a_cell_is_a_problem_of_the_file_not_a_server_error(make, login, client):
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = upload(client, returnees=[returnee_row("N-1", first_name="Ni\x00no")])
    assert response.status_code == 200
    assert "control character" in response.text
    assert "first_name" in response.text
