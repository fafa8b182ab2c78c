"""fsm_parse: Python textfsm 2.1 on the fsm-parse Rust engine.

A drop-in for the APIs network scripts call: ``import fsm_parse as
textfsm`` and then ``textfsm.TextFSM(template_file).ParseText(text)``,
``ParseTextToDicts``, ``header``, ``value_map``, ``Reset()``, the
exceptions ``Error``, ``TextFSMError`` and ``TextFSMTemplateError``;
``fsm_parse.clitable.CliTable(index_file, template_dir)``; and
ntc-templates' ``parse_output(platform=..., command=..., data=...)``.
Same rows, headers and error messages as textfsm 2.1; templates are
compiled once per process and parsing releases the GIL.
"""

from fsm_parse import clitable
from fsm_parse.parser import (
    Error,
    FSMAction,
    SkipRecord,
    SkipValue,
    TextFSM,
    TextFSMError,
    TextFSMTemplateError,
    TextFSMValue,
    UsageError,
)
from fsm_parse.parse import ParsingException, parse_output

__version__ = "2.1.0"
"""The textfsm version whose API and results this module follows."""

__all__ = [
    "Error",
    "FSMAction",
    "ParsingException",
    "SkipRecord",
    "SkipValue",
    "TextFSM",
    "TextFSMError",
    "TextFSMTemplateError",
    "TextFSMValue",
    "UsageError",
    "clitable",
    "parse_output",
]
