from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from caseapp.auth.models import Role
from caseapp.language import LANGUAGE_NAMES


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        description=_l(
            "At least 12 characters; a few unrelated words make a strong password that is easy "
            "to remember. Not your name or username."
        ),
    )
    new_password_again = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class UserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, dot, dash and underscore only.")),
        ],
    )
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=Role.choices(), validators=[DataRequired()])
    field_office_id = SelectField(_l("Field office"), coerce=int, validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)
    #: empty: the browser's language (the user may also switch in the menu, which stores the choice)
    locale = SelectField(
        _l("Language"),
        choices=[("", _l("The browser's language")), *LANGUAGE_NAMES.items()],
        validators=[Optional()],
        default="",
    )
    password = PasswordField(
        _l("New password"),
        validators=[Optional()],
        description=_l("At least 12 characters. The user must replace it with their own at their next login."),
    )
    password_again = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", message=_l("The passwords differ."))]
    )
