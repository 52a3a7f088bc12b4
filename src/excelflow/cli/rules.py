"""``excelflow rules list|show``: the rule codes (text, JSON or the README's Markdown table), or a
rule set."""

from __future__ import annotations

import argparse
import json
from typing import Any

from excelflow.cli.common import EXIT_OK, add_lang


def add_parser(sub: Any) -> None:
    """Register ``rules`` with the subcommands ``sub``."""
    rules = sub.add_parser("rules", help="list rule codes, or show a rule set")
    rsub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    rlist = rsub.add_parser("list", help="every rule code with its severity and description")
    rlist.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    rlist.add_argument("--verbose", "-v", action="store_true", help="print each rule's full doc")
    show = rsub.add_parser("show", help="print (and validate) a rule set")
    show.add_argument("--ruleset", metavar="F", help="rule set file (default: standard)")
    add_lang(show, default="en")
    show.add_argument("--format", choices=("text", "json"), default="text")


def markdown_table() -> str:
    """The README's table of checks: one row per rule code, in code order (family order as the
    README lists them: SG, EV, GR, DQ, BD, then any other family)."""
    from excelflow.rules import load_all

    families = ["SG", "EV", "GR", "DQ", "BD", "CL", "HX"]
    registry = load_all()

    def order(code: str) -> tuple[int, str]:
        family = code[:2]
        return (families.index(family) if family in families else len(families), code)

    lines = ["| code | severity | what it finds |", "|---|---|---|"]
    for code in sorted(registry, key=order):
        rule = registry[code]
        what = rule.description.replace("|", "\\|")
        lines.append(f"| {code} | {rule.severity.value} | {what} |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Run ``rules list`` or ``rules show``.

    Raises:
        RuleSetError: the --ruleset file is invalid.
    """
    from excelflow.engine.report import plain
    from excelflow.pipeline.ruleset import describe, load_ruleset
    from excelflow.rules import load_all

    if args.rules_command == "list":
        registry = load_all()
        if args.format == "markdown":
            print(markdown_table(), end="")
            return EXIT_OK
        if args.format == "json":
            doc = [
                {
                    "code": r.code,
                    "rule": r.name,
                    "severity": r.severity.value,
                    "description": r.description,
                    "doc": r.doc,
                }
                for r in registry.values()
            ]
            print(
                json.dumps(
                    sorted(doc, key=lambda d: d["code"]),
                    ensure_ascii=False,
                    indent=2,
                    allow_nan=False,
                )
            )
            return EXIT_OK
        for code, rule in sorted(registry.items()):
            print(f"{code}  {rule.severity.value:<7}  {rule.name:<36}  {plain(rule.description)}")
            if args.verbose:
                body = plain(rule.doc).splitlines()[1:]
                print("\n".join("      " + line for line in body if line))
        return EXIT_OK
    ruleset = load_ruleset(args.ruleset)
    if args.format == "json":
        print(json.dumps(ruleset.document, ensure_ascii=False, indent=2, allow_nan=False))
    else:
        from excelflow.pipeline.fields import describe_columns

        print(describe(ruleset, args.lang))
        print()
        print(describe_columns(ruleset, args.lang))
    return EXIT_OK
