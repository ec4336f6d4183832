"""python manage.py grant_app_role [--create]: as the tables' owner (DATABASE_OWNER_URL), give the
app's login role (DATABASE_URL's user) its rights (villages.dbroles); --create makes the role first
if it is missing, with DATABASE_URL's password. Idempotent; `migrate` does the same after each run."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from config.env import env_str
from villages.dbroles import append_only_tables, grant_app_role


class Command(BaseCommand):
    help = "Grant the app's restricted database role its rights: no UPDATE, DELETE or TRUNCATE of the ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--create", action="store_true", help="Create the login role if it does not exist.")

    def handle(self, *args, create: bool = False, **options) -> None:
        role = settings.DATABASE_APP_ROLE
        if connection.vendor != "postgresql" or not role:
            raise CommandError(
                "Needs PostgreSQL, with DATABASE_URL (the app's role) and DATABASE_OWNER_URL (the owner) naming "
                "two different users."
            )
        import dj_database_url

        app_login = dj_database_url.parse(env_str("DATABASE_URL"))
        password = (app_login["PASSWORD"] or "") if app_login["USER"] == role else ""
        try:
            grant_app_role(connection, role, create=create, password=password)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        tables = ", ".join(append_only_tables())
        self.stdout.write(self.style.SUCCESS(f"Role {role}: may read and add to, never change, {tables}."))
