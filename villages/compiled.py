"""A hot query compiled from the ORM once per process, its values bound at each run.

Building and compiling an ORM query costs far more than running it when the query carries rules
as expressions (store.balance's credits are a subquery with an Exists over an OuterRef): about a
millisecond each time, on every request, for SQL that never changes. `compiled` builds the query
once per database connection alias and shape, with a `Slot` wherever a value goes, and each run
binds the values (through the slot's field, as the ORM would) and applies the ORM's converters to
the rows; `compiled_insert` does the same for an INSERT of model instances, and `compiled_sql` for
SQL written around querysets built with slots (points.standing.grade_tallies). The SQL is the
ORM's own, so the rules stay where they are written.

On PostgreSQL, INSERTs and the queries whose build is marked `@prepared` also run as prepared
statements (settings.DATABASE_PREPARED_STATEMENTS): the server parses and plans them once per
connection instead of at every run. Planning was most of the server's time for the Record POST's
statements (0.3 of the 0.4 ms its item's took; issue 18). Only what a generic plan serves as well
as a fresh one is marked: lookups and locks by key. A query whose best plan depends on its values
(a LIKE pattern, a range of days over the ledger) stays planned at every run: with every compiled
query prepared, the dashboard's tallies took 2.8× as long in the big village as in the tiny one.

Nothing but slots may carry a value into the query: `build` gets only the shape (hashable
arguments such as a number of rows), never the request's values, so a cached query cannot keep one
caller's values for the next. The active time zone is part of the key as well: the ORM writes it
into the SQL of date lookups and truncations (`__date`, `Trunc`), so a query compiled under one
zone is never run under another.
"""

import re
from collections.abc import Callable, Hashable, Sequence
from threading import Lock
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery
from django.utils import timezone


class Slot(Expression):
    """A value of a compiled query, named; bound at each run through `output_field`."""

    def __init__(self, name: str, output_field: Field) -> None:
        super().__init__(output_field=output_field)
        self.name = name
        self._ranges: dict[str, tuple[int | None, int | None]] = {}

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"

    @property
    def identity(self):
        return (Slot, self.name, type(self.output_field))

    def as_sql(self, compiler, connection):
        return "%s", [self]

    def bind(self, values: dict[str, Any], connection) -> Any:
        """The value as the database takes it. ValueError for a number outside the column's range
        (a tampered id): the ORM's lookups would match no row, the driver would overflow."""
        value = self.output_field.get_db_prep_value(values[self.name], connection, prepared=False)
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = self._range(connection)
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{self.name}: {value} is out of range for {self.output_field.get_internal_type()}")
        return value

    def _range(self, connection) -> tuple[int | None, int | None]:
        """The smallest and largest number the slot's column holds on this database (None: no
        bound), looked up at the first run on each kind of database."""
        found = self._ranges.get(connection.vendor)
        if found is None:
            field = self.output_field
            while field.is_relation:  # a foreign key holds what its target holds
                field = field.target_field
            try:
                found = connection.ops.integer_field_range(field.get_internal_type())
            except KeyError:  # not an integer column
                found = (None, None)
            self._ranges[connection.vendor] = found
        return found


_POSITIONAL = re.compile(r"(?<!%)%s")  # a placeholder, as Django's SQLite backend finds them


class _Statement:
    """SQL and its parameters (values and slots).

    The ORM writes positional placeholders (%s); they are named here, once (%(p0)s, %(p1)s …):
    Django's SQLite backend turns positional placeholders into its own with a regular expression
    over the whole statement at every run (30–120 µs for the statements kept here, as much as
    running some of them), named ones with one `%`. PostgreSQL's driver takes either."""

    def __init__(self, using: str, sql: str, params, *, prepared: bool = False) -> None:
        self.using, self.params, self.prepared = using, tuple(params), prepared
        self.slots = {param.name for param in self.params if isinstance(param, Slot)}
        self.sql, self.names = sql, None
        if len(_POSITIONAL.findall(sql)) == len(self.params):  # else left as the ORM wrote it
            self.names = [f"p{i}" for i in range(len(self.params))]
            named = iter(self.names)
            self.sql = _POSITIONAL.sub(lambda placeholder: f"%({next(named)})s", sql)

    def _execute(self, cursor, values: dict[str, Any]) -> None:
        if values.keys() != self.slots:
            raise TypeError(f"slots {sorted(self.slots)} need values, got {sorted(values)}")
        connection = connections[self.using]
        bound = [param.bind(values, connection) if isinstance(param, Slot) else param for param in self.params]
        cursor.execute(self.sql, dict(zip(self.names, bound, strict=True)) if self.names is not None else bound)

    def _cursor(self):
        """A cursor of the statement's database, as connection.cursor() gives it (query logging,
        execute wrappers, database errors), binding the values on the server and preparing the
        statement at its first run if it is one to prepare (see the module's docstring)."""
        connection = connections[self.using]
        if not (self.prepared and connection.vendor == "postgresql" and settings.DATABASE_PREPARED_STATEMENTS):
            return connection.cursor()
        from django.db.backends.postgresql.base import ServerBindingCursor

        connection.close_if_health_check_failed()
        connection.ensure_connection()
        connection.validate_thread_sharing()
        driver = connection.connection
        # Django opens connections with prepare_threshold=None (never prepare). 0 prepares at the
        # first run, and only cursors that bind on the server prepare: Django's own bind on the
        # client, so every other query is run as before.
        driver.prepare_threshold = 0
        with connection.wrap_database_errors:
            cursor = ServerBindingCursor(driver)
        if connection.queries_logged:
            return _PreparedDebugWrapper(cursor, connection)
        return connection.make_cursor(cursor)


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Django's query log for a cursor that prepares: the SQL as written (psycopg keeps no text of
    a statement it runs prepared, which the log would read as None)."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


class Compiled(_Statement):
    """A queryset's SQL and parameters, with the compiler that converts its rows."""

    def __init__(self, queryset: QuerySet, using: str, *, prepared: bool = False) -> None:
        self.compiler = compiler = queryset.query.get_compiler(using=using)
        super().__init__(using, *compiler.as_sql(), prepared=prepared)
        # What turns a row into Python values depends on the columns only: worked out once, here,
        # rather than by results_iter at every run.
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise TypeError("A compiled query cannot select a composite primary key.")
        self.converters = list(compiler.get_converters(columns).items())
        self._instance_plan = None

    def rows(self, **values: Any) -> list[tuple]:
        """The query's rows (tuples, converted as the ORM's values_list would) for these slot values."""
        connection = connections[self.using]
        with self._cursor() as cursor:
            self._execute(cursor, values)
            fetched = cursor.fetchall()
        if not self.converters:
            return [tuple(row) for row in fetched]
        converted = []
        for row in fetched:
            row = list(row)
            for position, (converters, expression) in self.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted

    def get(self, **values: Any) -> Model:
        """The one instance for these slot values, as QuerySet.get would give it: the model's
        DoesNotExist if there is none, or if a value is one no row can hold (a tampered id beyond
        the column's range: Slot.bind's ValueError)."""
        model = self.compiler.klass_info["model"]
        try:
            found = self.instances(**values)
        except ValueError as error:
            raise model.DoesNotExist(str(error)) from None
        if not found:
            raise model.DoesNotExist(f"No {model._meta.object_name} for {values!r}.")
        if len(found) > 1:
            raise model.MultipleObjectsReturned(f"{len(found)} {model._meta.object_name} rows for {values!r}.")
        return found[0]

    def instances(self, **values: Any) -> list[Model]:
        """The query's rows as model instances, with their select_related objects and annotations, as
        iterating the queryset gives them (django.db.models.query.ModelIterable, without its extras)."""
        model, start, end, names, related = self._instance_plan or self._plan_instances()
        annotations = self.compiler.annotation_col_map.items()
        found = []
        for row in self.rows(**values):
            instance = model.from_db(self.using, names, row[start:end])
            for populator in related:
                populator.populate(row, instance)
            for name, position in annotations:
                setattr(instance, name, row[position])
            found.append(instance)
        return found

    def _plan_instances(self) -> tuple:
        """Where the model's columns are in a row, their names, and the populators of its
        select_related objects: the same for every run, so worked out at the first."""
        klass_info, select = self.compiler.klass_info, self.compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        related = get_related_populators(klass_info, select, self.using)
        self._instance_plan = (klass_info["model"], start, end, names, related)
        return self._instance_plan


class CompiledInsert(_Statement):
    """One INSERT of model instances whose values are slots (as bulk_create would write them, in one
    statement), returning the primary key of the one row if `returning` (of every row, in order,
    for several: SQLite and PostgreSQL return the rows of a multi-row INSERT). Prepared: an
    INSERT's plan never depends on its values."""

    def __init__(self, rows: list[Model], using: str, *, returning: bool = False) -> None:
        meta = rows[0]._meta
        query = InsertQuery(type(rows[0]))
        # raw: the slots are the values; pre_save (a FileField commits its file) runs before binding.
        query.insert_values(_inserted(type(rows[0])), rows, raw=True)
        self.compiler = query.get_compiler(using=using)
        self.compiler.returning_fields = [meta.pk] if returning else None
        self.count = len(rows)
        [(sql, params)] = self.compiler.as_sql()
        super().__init__(using, sql, params, prepared=True)

    def run(self, **values: Any) -> Any:
        """Insert the rows with these slot values; if `returning`, the new row's primary key (a list
        of them, in the rows' order, for several rows)."""
        connection = connections[self.using]
        with self._cursor() as cursor:
            self._execute(cursor, values)
            if self.compiler.returning_fields and self.count > 1:
                return [row[0] for row in connection.ops.fetch_returned_insert_rows(cursor)]
            if self.compiler.returning_fields:
                return connection.ops.fetch_returned_insert_columns(cursor, self.compiler.returning_params)[0]
        return None


class CompiledSQL(_Statement):
    """SQL written around ORM querysets (their SQL and parameters, slots among them), whose rows
    come back as the database gives them."""

    def rows(self, **values: Any) -> list[tuple]:
        with self._cursor() as cursor:
            self._execute(cursor, values)
            return cursor.fetchall()


_cache: dict[tuple, _Statement] = {}
_lock = Lock()


def _kept(key: tuple, make: Callable[[], _Statement]) -> Any:
    """The statement cached under `key` (with the active time zone), made once."""
    key = (*key, timezone.get_current_timezone_name())
    found = _cache.get(key)
    if found is None:
        found = make()
        with _lock:
            _cache.setdefault(key, found)
    return found


def prepared(build: Callable) -> Callable:
    """Mark a build of `compiled` as a statement to prepare on PostgreSQL: one that a generic plan
    serves as well as a plan made for its values (a lookup or a lock by key)."""
    build.prepared = True
    return build


def compiled(build: Callable[..., QuerySet], *shape: Hashable, using: str = "default") -> Compiled:
    """`build(*shape)` (a values_list queryset whose values are `Slot`s) compiled once for this
    database alias and shape."""
    return _kept(
        (build.__module__, build.__qualname__, using, shape),
        lambda: Compiled(build(*shape), using, prepared=getattr(build, "prepared", False)),
    )


def compiled_insert(
    build: Callable[..., list[Model]], *shape: Hashable, returning: bool = False, using: str = "default"
) -> CompiledInsert:
    """`build(*shape)` (unsaved model instances whose values are `Slot`s or constants) compiled once
    into one INSERT for this database alias and shape."""
    return _kept(
        (build.__module__, build.__qualname__, using, shape, returning),
        lambda: CompiledInsert(build(*shape), using, returning=returning),
    )


def compiled_sql(build: Callable[..., tuple[str, Sequence]], *shape: Hashable, using: str = "default") -> CompiledSQL:
    """`build(*shape)` (SQL and its parameters, `Slot`s where the values go: e.g. the SQL of
    querysets built with slots, written into a query of its own) kept once for this database
    alias and shape."""
    return _kept((build.__module__, build.__qualname__, using, shape), lambda: CompiledSQL(using, *build(*shape)))


def insert(instance: Model, using: str = "default") -> None:
    """INSERT an unsaved instance (as `save(force_insert=True)` would, without its signals) through
    a statement compiled once per model, and set its primary key. For a model whose rows are
    written on every request; every concrete field is a slot, so any instance of it fits."""
    values = {field.attname: field.pre_save(instance, add=True) for field in _inserted(type(instance))}
    instance.pk = compiled_insert(_every_field, type(instance), returning=True, using=using).run(**values)
    instance._state.adding, instance._state.db = False, using


def insert_many(instances: list[Model], using: str = "default") -> None:
    """INSERT unsaved instances of one model in one statement (as bulk_create would, without its
    signals), compiled once per model and number of rows, and set their primary keys. For rows
    written by the hundred (a certificate batch's chunks). Mind the database's limit on a
    statement's parameters: rows × columns (SQLite's is 32,766, PostgreSQL's 65,535)."""
    if len(instances) <= 1:
        for instance in instances:
            insert(instance, using)
        return
    model = type(instances[0])
    values = {
        f"{field.attname}@{row}": field.pre_save(instance, add=True)
        for row, instance in enumerate(instances)
        for field in _inserted(model)
    }
    keys = compiled_insert(_every_field, model, len(instances), returning=True, using=using).run(**values)
    for instance, pk in zip(instances, keys, strict=True):
        instance.pk = pk
        instance._state.adding, instance._state.db = False, using


def _inserted(model: type[Model]) -> list[Field]:
    """The columns an INSERT of `model` writes: every concrete field but the auto primary key."""
    meta = model._meta
    return [field for field in meta.concrete_fields if field is not meta.auto_field]


def _every_field(model: type[Model], rows: int = 1) -> list[Model]:
    """`rows` instances of `model` whose every concrete field (but the auto primary key) is a slot,
    named by the field's attname (and "@" and the row's number when there are several)."""
    fields = _inserted(model)
    if rows == 1:
        return [model(**{f.attname: Slot(f.attname, f) for f in fields})]
    return [model(**{f.attname: Slot(f"{f.attname}@{row}", f) for f in fields}) for row in range(rows)]
