"""Least privilege on PostgreSQL: the login the app runs as may read and add to the append-only
tables (the ledger, its published heads, the audit trail, the store's receipts and stock
movements) but never change, delete or empty them, and it owns nothing, so it can neither alter a
table nor disable a trigger; nor, not being a superuser, set session_replication_role (which would
skip triggers). Other tables it reads and writes as usual.

The tables' owner runs the migrations (manage.py migrate connects as DATABASE_OWNER_URL) and, after
every migration run (post_migrate, villages.apps), grants the app's role (DATABASE_URL's user) its
rights again, so a table added by a migration is covered at once. `manage.py grant_app_role` does
the same by hand, and creates the role if it is missing. Every statement is idempotent.
"""

import re

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper

from villages.models import AppendOnlyModel

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def append_only_tables() -> list[str]:
    """Every table whose rows are never changed: the models built on AppendOnlyModel."""
    return sorted(model._meta.db_table for model in apps.get_models() if issubclass(model, AppendOnlyModel))


def grant_app_role(connection: BaseDatabaseWrapper, role: str, *, create: bool = False, password: str = "") -> None:
    """Give `role` the app's rights in the connection's database (run as the tables' owner).
    `create`: create the login role first if it does not exist (the owner needs CREATEROLE)."""
    if not ROLE_NAME.fullmatch(role):
        raise ImproperlyConfigured(f"The app's database role {role!r} must be a plain lower-case name.")
    name = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            if not create:
                raise ImproperlyConfigured(
                    f"The app's database role {role!r} does not exist: run `manage.py grant_app_role --create`."
                )
            if password:
                cursor.execute(f"CREATE ROLE {name} LOGIN PASSWORD %s", [password])
            else:
                cursor.execute(f"CREATE ROLE {name} LOGIN")
        elif row[0]:
            raise ImproperlyConfigured(
                f"The app's database role {role!r} is a superuser: no table or trigger binds it. "
                f"ALTER ROLE {role} NOSUPERUSER, or give the app a login of its own."
            )
        cursor.execute("SELECT current_database()")
        database = connection.ops.quote_name(cursor.fetchone()[0])
        cursor.execute(f"GRANT CONNECT ON DATABASE {database} TO {name}")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}")
        tables = ", ".join(connection.ops.quote_name(table) for table in append_only_tables())
        cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {tables} FROM {name}")


def grant_after_migrate(sender, *, using: str, plan=None, **kwargs) -> None:
    """post_migrate: after a migration run as the owner, grant the app's role its rights again.
    (A flush, which sends post_migrate too but carries no plan, changes no rights.)"""
    from django.conf import settings
    from django.db import connections

    connection = connections[using]
    role = settings.DATABASE_APP_ROLE
    if plan is None or connection.vendor != "postgresql" or not role:
        return
    grant_app_role(connection, role)
