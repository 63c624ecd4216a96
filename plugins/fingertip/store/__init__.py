"""The governance store: schema, migrations, engine and bulk loading."""
