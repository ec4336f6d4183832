from django.db import migrations

# Receipts, their lines and stock movements are append-only like the points ledger: on PostgreSQL
# the trigger function installed by points 0006 refuses any UPDATE or DELETE of them.
TABLES = ("store_receipt", "store_receiptline", "store_stockmovement")
INSTALL = "".join(
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION village_points_append_only();\n"
    for table in TABLES
)
UNINSTALL = "".join(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n" for table in TABLES)


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def uninstall_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0006_entry_chain_hash"),
        ("store", "0001_store"),
    ]

    operations = [migrations.RunPython(install_triggers, uninstall_triggers)]
