from django.db import migrations

# TRUNCATE of the store's ledgers is refused like the points ledger's (the function is installed by
# points 0015, which explains the one way through, for the test suite's flush).
TABLES = ("store_receipt", "store_receiptline", "store_stockmovement")
INSTALL = "".join(
    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION village_points_no_truncate();\n"
    for table in TABLES
)
UNINSTALL = "".join(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};\n" for table in TABLES)


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def uninstall_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0015_entry_chain_key_and_published_heads"),
        ("store", "0002_store_ledgers_append_only"),
    ]

    operations = [migrations.RunPython(install_triggers, uninstall_triggers)]
