"""``fsm_parse.clitable``: Python textfsm 2.1's ``textfsm.clitable`` on the
fsm-parse engine.

``CliTable(index_file, template_dir)`` reads ``template_dir/index_file``
(an ntc-templates style index), ``ParseCmd(text, attributes)`` picks the
first index row whose columns match the attributes (``[[..]]``
completions, ``re.match`` semantics), parses with its template(s), joins
several templates on their ``Key`` values and stores every value as a
string (``List`` items too), like textfsm's clitable. The table iterates
over its rows (``Row``: values by position or column name) and has
``header``, ``size``, ``superkey`` and ``table``.

The index is loaded once per process and file version; templates are
compiled once and again only when they change on disk. Parsing releases the
GIL.
"""

import os

from fsm_parse import _native


class Error(Exception):
    """Base class for errors."""


class IndexTableError(Error):
    """General IndexTable error."""


class CliTableError(Error):
    """General CliTable error."""


class Row(object):
    """A table row: its values by position, slice or column name (like
    ``textfsm.texttable.Row``); iterating yields the values."""

    __slots__ = ("_values", "_header", "_index", "row", "table")

    def __init__(self, header, values, index, row=None, table=None):
        self._header = header
        self._values = values
        self._index = index
        self.row = row
        self.table = table

    @property
    def header(self):
        """The column names."""
        return list(self._header)

    @property
    def values(self):
        """The values, in column order."""
        return self._values

    def __getitem__(self, column):
        if isinstance(column, (list, tuple)):
            return [self[c] for c in column]
        try:
            return self._values[self._index[column]]
        except (KeyError, TypeError):
            pass
        try:
            return self._values[column]
        except (IndexError, TypeError):
            pass
        raise IndexError('No such column "%s" in row.' % column)

    def get(self, column, default_value=None):
        """The value of a column, or ``default_value``."""
        try:
            return self[column]
        except IndexError:
            return default_value

    def index(self, column):
        """The position of a column."""
        for i, k in enumerate(self._header):
            if k == column:
                return i
        raise ValueError('Value "%s" does not appear in row keys.' % column)

    def items(self):
        """``(column, value)`` pairs."""
        return list(zip(self._header, self._values))

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._header)

    def __contains__(self, value):
        return value in self._values

    def __eq__(self, other):
        if isinstance(other, Row):
            return self._values == other._values and self._header == other._header
        return NotImplemented

    __hash__ = None

    def __str__(self):
        return "".join("%12s  " % (v,) for v in self._values) + "\n"

    def __repr__(self):
        return "%s(%r)" % (self.__class__.__name__, str(self))


class CliTable(object):
    """Parses command output with the template(s) an index file names."""

    def __init__(self, index_file=None, template_dir=None):
        self.raw = None
        self.index_file = index_file
        self.template_dir = template_dir
        self.separator = ", "
        self._index = None
        self.Reset()
        if index_file:
            self.ReadIndex(index_file)

    def ReadIndex(self, index_file=None):  # noqa: N802 - textfsm's name
        """Reads ``template_dir/index_file``."""
        self.index_file = index_file or self.index_file
        self._index = _native.Index(self.template_dir or "", self.index_file)
        if "Template" not in self._index.columns():
            raise CliTableError("Index file does not have 'Template' column.")

    def Reset(self):  # noqa: N802 - textfsm's name
        """Empties the table."""
        self._header = []
        self._rows = []
        self._keys = None
        self._first_template = None

    def ParseCmd(self, cmd_input, attributes=None, templates=None):  # noqa: N802
        """Parses ``cmd_input`` with the templates of the first index row
        matching ``attributes`` (a dict of column -> value), or with
        ``templates`` (``"a.textfsm:b.textfsm"``) when given. Raises
        ``CliTableError`` when no row matches."""
        self.raw = cmd_input
        if not templates:
            if self._index is None:
                raise CliTableError("No index file: call ReadIndex first.")
            columns = self._index.columns()
            attrs = [(k, attributes[k]) for k in attributes if k in columns]
            templates = self._index.find(attrs)
            if templates is None:
                raise CliTableError('No template found for attributes: "%s"' % attributes)
        index = self._index or _native.Index(self.template_dir or "", self.index_file or "index")
        header, rows = index.parse(templates, cmd_input if cmd_input else "")
        self.Reset()
        self._first_template = templates.split(":")[0]
        self._header = header
        pos = {k: i for i, k in enumerate(header)}
        self._rows = [Row(header, r, pos, n + 1, self) for n, r in enumerate(rows)]

    # --- the table -------------------------------------------------------

    @property
    def header(self):
        """The column names (the values of the template(s))."""
        return list(self._header)

    @property
    def size(self):
        """How many rows the table has."""
        return len(self._rows)

    def __iter__(self):
        return iter(self._rows)

    def __getitem__(self, row):
        """Row ``row``; row 0 is the header (as in textfsm's TextTable)."""
        if row == 0:
            return Row(self._header, list(self._header), {k: i for i, k in enumerate(self._header)}, 0, self)
        if isinstance(row, int) and row < 0:
            return self._rows[row]
        return self._rows[row - 1]

    def __contains__(self, name):
        return name in self._header

    @property
    def table(self):
        """The whole table as text: the header, then each row, values
        joined by ``separator``."""
        lines = [self._header] + [r.values for r in self._rows]
        return "".join("%s\n" % self.separator.join(str(v) for v in line) for line in lines)

    def __str__(self):
        return self.table

    def __repr__(self):
        return "%s(%r)" % (self.__class__.__name__, str(self))

    def _key_names(self):
        if self._keys is None:
            self._keys = set()
            if self._first_template:
                path = os.path.join(self.template_dir or "", self._first_template)
                self._keys = set(_native.Template.from_file(path).values_with_option("Key"))
        return self._keys

    def AddKeys(self, key_list):  # noqa: N802 - textfsm's name
        """Marks more columns as part of the superkey."""
        for keyname in key_list:
            if keyname not in self._header:
                raise KeyError("'%s'" % keyname)
        self._keys = self._key_names().union(set(key_list))

    @property
    def superkey(self):
        """The columns that together identify a row (the ``Key`` values)."""
        keys = self._key_names()
        return [h for h in self._header if h in keys]

    def KeyValue(self, row):  # noqa: N802 - textfsm's name
        """The superkey values of a row (its number when there is no key)."""
        if not self.superkey:
            return ["%s" % row.row]
        return [row[h] for h in self._header if h in self.superkey]
