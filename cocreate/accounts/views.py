"""Log in and out, and the administrators' account management."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from cocreate.accounts import services, tokens
from cocreate.accounts.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    InviteModeratorForm,
    LoginForm,
)
from cocreate.accounts.models import User
from cocreate.authz import require_admin
from cocreate.errors import DomainError
from cocreate.extensions import db, limiter, login_manager
from cocreate.forms import attach_error
from cocreate.ratelimits import login_limit

bp = Blueprint("accounts", __name__)
login_manager.login_view = "accounts.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def login_email_key() -> str:
    return "login:" + request.form.get("email", "").strip().lower()[:254]


def safe_next(target: str | None) -> str:
    """Only follow a local path after login, never another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("consultations.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_limit, methods=["POST"], key_func=login_email_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("consultations.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        form.form_errors.append(_("The email address or password is not right."))
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("participation.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Your password is changed."), "success")
            return redirect(url_for(".account"))
    return render_template("accounts/account.html", form=form, **tokens_context())


def tokens_context(token_form: ApiTokenForm | None = None, new_secret: str | None = None) -> dict:
    """What the account page's API tokens section needs; ``new_secret`` is shown once."""
    return {
        "tokens": tokens.tokens_of(current_user),
        "token_form": token_form or ApiTokenForm(formdata=None, prefix="token"),
        "new_secret": new_secret,
    }


@bp.post("/account/tokens")
@login_required
def create_token():
    """The new secret is in this answer only: it is never stored, so never redirected to."""
    form = ApiTokenForm(prefix="token")
    if form.validate_on_submit():
        try:
            token, secret = tokens.create_token(current_user, form.name.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            return render_template(
                "accounts/account.html",
                form=ChangePasswordForm(formdata=None),
                **tokens_context(new_secret=secret),
                new_token=token,
            )
    return render_template(
        "accounts/account.html",
        form=ChangePasswordForm(formdata=None),
        **tokens_context(form),
    ), 422


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = tokens.revoke_token(current_user, token_id)
    flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for(".account") + "#api-tokens")


@bp.route("/admin/accounts", methods=["GET", "POST"])
@login_required
def users():
    require_admin(current_user)
    form = InviteModeratorForm()
    created = None
    if form.validate_on_submit():
        try:
            user, password = services.invite_moderator(
                current_user, form.email.data, form.display_name.data or ""
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            created = (user, password)
            form = InviteModeratorForm(formdata=None)
    status = 422 if form.errors else 200
    return render_template(
        "accounts/users.html", form=form, users=services.list_users(), created=created
    ), status


@bp.post("/admin/accounts/<int:user_id>/reset-password")
@login_required
def reset_password(user_id: int):
    user, password = services.reset_password(current_user, user_id)
    return render_template(
        "accounts/users.html",
        form=InviteModeratorForm(formdata=None),
        users=services.list_users(),
        reset=(user, password),
    )
