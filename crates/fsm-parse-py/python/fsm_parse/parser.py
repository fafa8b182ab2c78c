"""``fsm_parse.TextFSM``: Python textfsm 2.1's ``textfsm.TextFSM`` on the
fsm-parse engine.

Same constructor (a template file object), same methods (``ParseText``,
``ParseTextToDicts``, ``Reset``, ``GetValuesByAttrib``), attributes
(``header``, ``value_map``, ``values``, ``state_list``) and exceptions
(``Error``, ``TextFSMError``, ``TextFSMTemplateError``, ``UsageError``)
with textfsm's messages. Templates are compiled once per process (by their
text) and parsing releases the GIL.

What differs: ``ParseText`` parses each text from the ``Start`` state, as
the first call after construction or ``Reset()`` does in textfsm. textfsm
also lets a second ``ParseText`` (or one with ``eof=False``) carry on the
state machine of the previous one; fsm_parse raises ``NotImplementedError``
for those two instead of returning other rows.
"""

from fsm_parse import _native


class Error(Exception):
    """Base class for errors."""


class UsageError(Exception):
    """Error in command line execution."""


class TextFSMError(Error):
    """Error in the FSM state execution."""


class TextFSMTemplateError(Error):
    """Errors while parsing templates."""


class FSMAction(Exception):  # noqa: N818 - textfsm's name
    """Base class for actions raised with the FSM."""


class SkipRecord(FSMAction):
    """Indicate a record is to be skipped."""


class SkipValue(FSMAction):
    """Indicate a value is to be skipped."""


_VALID_OPTIONS = ("Filldown", "Fillup", "Key", "List", "Required")


class TextFSMValue(object):
    """A declared value: ``name``, ``regex``, ``template`` (the regex with
    ``(?P<name>`` for its first group) and the option names."""

    def __init__(self, name, regex, options):
        self.name = name
        self.regex = regex
        self.options = list(options)
        self.template = "(?P<%s>" % name + regex[1:] if regex.startswith("(") else regex

    def OptionNames(self):  # noqa: N802 - textfsm's name
        """Returns a list of option names for this Value."""
        return list(self.options)

    def __str__(self):
        if self.options:
            return "Value %s %s %s" % (",".join(self.options), self.name, self.regex)
        return "Value %s %s" % (self.name, self.regex)


def _read_template(template):
    """The text of a template given like textfsm takes it: a file object
    (read, then rewound like textfsm does) or an iterable of lines."""
    if hasattr(template, "read"):
        try:
            text = template.read()
        finally:
            if hasattr(template, "seek"):
                template.seek(0)
    else:
        text = "".join(template)
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return text


def _option_order(text):
    """Option names per value name, in the order the template's ``Value``
    lines give them (textfsm keeps that order). Only called on templates
    that compiled, so the lines are well formed."""
    order = {}
    for line in text.splitlines():
        if not line.startswith("Value "):
            continue
        parts = line.rstrip().split(" ")
        if len(parts) > 2 and not parts[2].startswith("("):
            order[parts[2]] = parts[1].split(",")
    return order


class TextFSM(object):
    """Parses a template and runs it over text.

    ``TextFSM(template)`` takes an open template file (or any file-like
    object), like ``textfsm.TextFSM``.
    """

    MAX_NAME_LEN = 48

    def __init__(self, template, options_class=None):
        if options_class is not None:
            raise NotImplementedError(
                "fsm_parse.TextFSM: custom options_class is not supported; "
                "use Python textfsm for custom Value options"
            )
        text = _read_template(template)
        self._native = _native.Template.from_text(text)
        self._header = self._native.header()
        self.state_list = self._native.state_names()
        self.values = []
        self.value_map = {}
        options = {o: set(self._native.values_with_option(o)) for o in _VALID_OPTIONS}
        order = _option_order(text)
        for name in self._header:
            opts = [o for o in order.get(name, _VALID_OPTIONS) if name in options[o]]
            v = TextFSMValue(name, self._native.value_regex(name), opts)
            self.values.append(v)
            self.value_map[name] = v.template
        self.Reset()

    def Reset(self):  # noqa: N802 - textfsm's name
        """Preserves the FSM but resets the state and the results."""
        self._result = []
        self._fresh = True

    @property
    def header(self):
        """The value names, in declaration order."""
        return list(self._header)

    def GetValuesByAttrib(self, attribute):  # noqa: N802 - textfsm's name
        """Returns the list of values that have a particular attribute."""
        if attribute not in _VALID_OPTIONS:
            raise ValueError("'%s': Not a valid attribute." % attribute)
        return self._native.values_with_option(attribute)

    def _check_fresh(self, eof):
        if not eof:
            raise NotImplementedError(
                "fsm_parse.TextFSM.ParseText(eof=False) is not supported: "
                "parse the whole text in one call"
            )
        if not self._fresh:
            raise NotImplementedError(
                "fsm_parse.TextFSM.ParseText was already called on this object: "
                "call Reset() (or use a new TextFSM) before parsing more text"
            )

    def ParseText(self, text, eof=True):  # noqa: N802 - textfsm's name
        """Parses ``text`` and returns the rows: a list of lists, in header
        order (``List`` values are lists). Raises ``TextFSMError`` when an
        ``Error`` rule matches."""
        self._check_fresh(eof)
        if not text:
            text = ""
        self._result = self._native.parse(text)
        self._fresh = False
        return self._result

    def ParseTextToDicts(self, text, eof=True):  # noqa: N802 - textfsm's name
        """Like ``ParseText``, but each row is a dict keyed by the header."""
        self._check_fresh(eof)
        if not text:
            text = ""
        dicts = self._native.parse_dicts(text)
        self._fresh = False
        return dicts
