#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Schema changes connect as the tables' owner (DATABASE_OWNER_URL, when set); everything else,
    # the app itself included, as DATABASE_URL's restricted role (villages.dbroles).
    if sys.argv[1:2] in (["migrate"], ["grant_app_role"]):
        os.environ.setdefault("DATABASE_AS_OWNER", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
