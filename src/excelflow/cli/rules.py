"""``excelflow rules list|show``: the rule codes (text or JSON), or a rule set."""

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
    rlist.add_argument("--format", choices=("text", "json"), default="text")
    rlist.add_argument("--verbose", "-v", action="store_true", help="print each rule's full doc")
    show = rsub.add_parser("show", help="print (and validate) a rule set")
    show.add_argument("--ruleset", metavar="F", help="rule set file (default: standard)")
    add_lang(show, default="en")
    show.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    """Run ``rules list`` or ``rules show``.

    Raises:
        RuleSetError: the --ruleset file is invalid.
    """
    from excelflow.pipeline.ruleset import describe, load_ruleset
    from excelflow.rules import load_all

    if args.rules_command == "list":
        registry = load_all()
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
            print(json.dumps(sorted(doc, key=lambda d: d["code"]), ensure_ascii=False, indent=2))
            return EXIT_OK
        for code, rule in sorted(registry.items()):
            print(f"{code}  {rule.severity.value:<7}  {rule.name:<36}  {rule.description}")
            if args.verbose:
                print("\n".join("      " + line for line in rule.doc.splitlines()[1:] if line))
        return EXIT_OK
    ruleset = load_ruleset(args.ruleset)
    if args.format == "json":
        print(json.dumps(ruleset.document, ensure_ascii=False, indent=2))
    else:
        print(describe(ruleset, args.lang))
    return EXIT_OK
