"""Notices to returnees and reason letters, in the returnee's language (docs/notices.md).

`facts` gathers what a notice says from a scenario and a plan, `render` lays it out (Jinja2 templates, one
page per household and language, right to left for Arabic-script languages) and prints it with WeasyPrint;
the words come from the gettext catalogues under `locale/` (`catalogues`). Jinja2, Babel and WeasyPrint come
with the `service` extra; the planner's other commands do not need them.
"""
