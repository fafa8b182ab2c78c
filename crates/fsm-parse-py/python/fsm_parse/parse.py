"""``fsm_parse.parse_output``: ntc-templates' ``parse_output`` on the
fsm-parse engine.

``parse_output(platform="cisco_ios", command="show version", data=text)``
returns a list of dicts (column names lowercased), picking the template
through the ``index`` of the template directory: the ``template_dir``
argument, else the ``NTC_TEMPLATES_DIR`` environment variable (as
ntc-templates reads it), else the ``templates`` directory of an installed
``ntc_templates`` package.
"""

import os

from fsm_parse import clitable


class ParsingException(Exception):  # noqa: N818 - ntc-templates' name
    """No template for the platform and command (raised from the
    ``CliTableError``)."""


def _get_template_dir():
    """The template directory, found the way ntc-templates finds it."""
    template_dir = os.environ.get("NTC_TEMPLATES_DIR")
    if template_dir is not None:
        return template_dir
    try:
        import ntc_templates  # noqa: PLC0415 - optional
    except ImportError:
        raise ParsingException(
            "no template directory: pass template_dir=..., set NTC_TEMPLATES_DIR, "
            "or install ntc_templates"
        ) from None
    package_dir = os.path.dirname(ntc_templates.__file__)
    template_dir = os.path.join(package_dir, "templates")
    if not os.path.isdir(template_dir):
        project_dir = os.path.dirname(os.path.dirname(os.path.dirname(template_dir)))
        template_dir = os.path.join(project_dir, "templates")
    return template_dir


def _clitable_to_dict(cli_table):
    header = [h.lower() for h in cli_table.header]
    return [dict(zip(header, row)) for row in cli_table]


def parse_output(platform=None, command=None, data=None, template_dir=None):
    """Parses ``data`` (a command's output) with the ntc-templates template
    for ``platform`` and ``command``: a list of dicts keyed by the
    lowercased value names."""
    cli_table = clitable.CliTable("index", template_dir or _get_template_dir())
    attrs = {"Command": command, "Platform": platform}
    try:
        cli_table.ParseCmd(data, attrs)
    except clitable.CliTableError as err:
        raise ParsingException(
            'Unable to parse command "%s" on platform %s - %s' % (command, platform, err)
        ) from err
    return _clitable_to_dict(cli_table)
