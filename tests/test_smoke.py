from caseapp.auth.models import Role


def test_login_and_home(make, login, client):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert user.display_name in response.text
