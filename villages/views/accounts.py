"""Accounts and roles in the acting village, for its administrators: create a login for a scorer,
a resident or a head, give and take roles, reset a password, deactivate."""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from villages import services
from villages.access import get_account_for_admin, require_admin
from villages.forms import AccountForm, ExistingAccountForm, RoleForm
from villages.models import Membership, Resident
from villages.security import sign_in_history


@login_required
@require_http_methods(["GET", "POST"])
def account_list(request: HttpRequest) -> HttpResponse:
    """Everyone holding a role in the village, with their roles; POST gives a role to an existing
    account (someone who already acts in another village). Two queries."""
    village = require_admin(request)
    existing_form = ExistingAccountForm(request.POST or None)
    if request.method == "POST" and existing_form.is_valid():
        user = existing_form.cleaned_data["username"]
        try:
            services.grant_role(user=user, village=village, role=existing_form.cleaned_data["role"], actor=request.user)
        except ValidationError as error:
            existing_form.add_error(None, error)
        else:
            messages.success(request, _("%(user)s now has a role here.") % {"user": user.get_username()})
            return redirect("villages:account_detail", user.pk)
    roles: dict[int, list[str]] = defaultdict(list)
    users = {}
    for membership in Membership.objects.filter(village=village).select_related("user").order_by("user__username"):
        users[membership.user_id] = membership.user
        roles[membership.user_id].append(membership.get_role_display())
    accounts = [(user, roles[user.pk]) for user in users.values()]
    return render(request, "villages/accounts.html", {"accounts": accounts, "existing_form": existing_form})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_add(request: HttpRequest) -> HttpResponse:
    """A new login; the first password is shown once on the next page, to be handed over on paper."""
    village = require_admin(request)
    form = AccountForm(request.POST or None, village=village, initial={"resident": request.GET.get("resident")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = services.create_account(
                village=village,
                actor=request.user,
                username=data["username"],
                full_name=data["full_name"],
                role=data["role"],
                resident=data["resident"] if data["role"] == Membership.Role.RESIDENT else None,
                email=data["email"],
            )
        except ValidationError as error:
            form.add_error("username" if error.code == "username_taken" else None, error)
        else:
            return render(
                request, "villages/account_password.html", {"account": user, "password": password, "new": True}
            )
    return render(request, "villages/account_add.html", {"form": form})


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    village = require_admin(request)
    account = get_account_for_admin(request, pk)
    held = set(Membership.objects.filter(user=account, village=village).values_list("role", flat=True))
    roles = [(value, label, value in held) for value, label in Membership.Role.choices]
    resident = Resident.objects.filter(user=account, village=village).select_related("household").first()
    return render(
        request,
        "villages/account_detail.html",
        {
            "account": account,
            "roles": roles,
            "resident": resident,
            "role_form": RoleForm(),
            "sign_ins": sign_in_history(user=account, village=village),
        },
    )


@login_required
@require_POST
def account_roles(request: HttpRequest, pk: int) -> HttpResponse:
    village = require_admin(request)
    account = get_account_for_admin(request, pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        role, action = form.cleaned_data["role"], form.cleaned_data["action"]
        try:
            if action == "grant":
                services.grant_role(user=account, village=village, role=role, actor=request.user)
            else:
                services.revoke_role(user=account, village=village, role=role, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Roles saved."))
    return redirect("villages:account_detail", account.pk)


@login_required
@never_cache
@require_POST
def account_password(request: HttpRequest, pk: int) -> HttpResponse:
    village = require_admin(request)
    account = get_account_for_admin(request, pk)
    try:
        password = services.reset_password(user=account, village=village, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("villages:account_detail", account.pk)
    return render(request, "villages/account_password.html", {"account": account, "password": password, "new": False})


@login_required
@require_POST
def account_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    village = require_admin(request)
    account = get_account_for_admin(request, pk)
    try:
        services.deactivate_account(user=account, village=village, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("villages:account_detail", account.pk)
    messages.success(request, _("%(user)s no longer holds a role here.") % {"user": account.get_username()})
    return redirect("villages:accounts")
