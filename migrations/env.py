"""Alembic environment, driven by Flask-Migrate (``flask --app wsgi db …``)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# Keep the application's loggers working after migrations ran in-process.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata
#: Tables no model describes: SQLite's FTS5 search tables and their shadow tables
#: (``search_fts_english_data`` …), made and kept by migration 0007's SQL, and what a
#: search's scope tests of each document (``search_scopes``, migration 0018).
UNMODELLED_TABLE_PREFIXES = ("search_fts_", "search_scopes")


def include_object(obj, name, type_, reflected, compare_to):
    """Leave the tables no model describes out of autogenerate and ``flask db check``."""
    return not (type_ == "table" and reflected and name.startswith(UNMODELLED_TABLE_PREFIXES))


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=migrate_ext.db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=include_object,
        **migrate_ext.configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on the application's engine, one transaction for all."""

    def skip_empty_autogenerate(_context, _revision, directives):
        if (
            getattr(config.cmd_opts, "autogenerate", False)
            and directives[0].upgrade_ops.is_empty()
        ):
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty_autogenerate)
    conf_args.setdefault("include_object", include_object)

    with migrate_ext.db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations recreate tables; with foreign keys on, dropping a
            # referenced table would cascade or fail. Must be set outside a
            # transaction, hence on the driver connection.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left dangling foreign keys: {broken}")
        if connection.in_transaction():
            connection.commit()
        if sqlite:
            # Back on before the connection returns to the pool (it cannot change
            # inside a transaction, hence the commit first).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
