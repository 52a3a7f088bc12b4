"""``excelflow rules list|show``: the rule codes (text, JSON or the README's Markdown table, in
English or Chinese), one rule explained (``rules show SG01``), or a rule set."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from excelflow.cli.common import EXIT_ERROR, EXIT_OK, add_lang
from excelflow.pipeline.textutil import pad

if TYPE_CHECKING:
    from excelflow.pipeline.ruleset import Lang


def add_parser(sub: Any) -> None:
    """Register ``rules`` with the subcommands ``sub``."""
    rules = sub.add_parser(
        "rules",
        help="list rule codes, explain one, or show a rule set",
        description="List the rule codes (rules list), explain one (rules show CODE: what it "
        "finds, a bad example, the fix, the rule-set settings it reads), or print and validate a "
        "rule set (rules show).",
    )
    rsub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    rlist = rsub.add_parser("list", help="every rule code with its severity and description")
    rlist.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text (default), json, or a Markdown table (the README's table in English)",
    )
    rlist.add_argument("--verbose", "-v", action="store_true", help="print each rule's full doc")
    add_lang(rlist, "language of the titles and descriptions (default en)")
    show = rsub.add_parser(
        "show",
        help="explain one rule (rules show SG01), or print and validate a rule set",
        description="With CODE: the rule, its message, a bad example, the fix and the rule-set "
        "settings that change it (with their values in --ruleset). Without: the whole rule set.",
    )
    show.add_argument(
        "code",
        nargs="?",
        metavar="CODE",
        help="a rule code such as SG01 (default: show the whole rule set)",
    )
    show.add_argument("--ruleset", metavar="F", help="rule set file (default: standard)")
    add_lang(show, "language of the text (default en)", default="en")
    show.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )


def markdown_table(lang: Lang | None = None) -> str:
    """The README's table of checks: one row per rule code, in code order (family order as the
    README lists them: SG, EV, GR, DQ, BD, then any other family). With ``lang``: the rule's
    title and description in that language (the README's table is the English one, without)."""
    from excelflow.rules import load_all
    from excelflow.rules.explain import what

    families = ["SG", "EV", "GR", "DQ", "BD", "CL", "HX"]
    registry = load_all()

    def order(code: str) -> tuple[int, str]:
        family = code[:2]
        return (families.index(family) if family in families else len(families), code)

    if lang is None:
        lines = ["| code | severity | what it finds |", "|---|---|---|"]
    elif lang == "zh":
        lines = ["| 代码 | 级别 | 名称 | 检查内容 |", "|---|---|---|---|"]
    else:
        lines = ["| code | severity | title | what it finds |", "|---|---|---|---|"]
    for code in sorted(registry, key=order):
        rule = registry[code]
        if lang is None:
            found = rule.description.replace("|", "\\|")
            lines.append(f"| {code} | {rule.severity.value} | {found} |")
            continue
        text = what(rule, lang).replace("|", "\\|")
        lines.append(f"| {code} | {rule.severity.value} | {rule.title(lang)} | {text} |")
    return "\n".join(lines) + "\n"


def _setting(document: Any, path: str) -> Any:
    """The value at a dotted ``path`` of a rule-set document (None when absent)."""
    node = document
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _shown_setting(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    if len(text) <= 60:
        return text
    if isinstance(value, list):
        return f"[{len(value)} entries]"
    return f"{{{len(value)} keys}}" if isinstance(value, dict) else text[:57] + "…"


_SHOW: dict[str, dict[str, Any]] = {
    "en": {
        "severity": "Severity",
        "default": "default",
        "disabled": "disabled in this rule set",
        "what": "What it finds",
        "message": "Message",
        "bad": "Bad example",
        "fix": "Fix",
        "settings": "Rule-set settings it reads",
        "none": "none (only severities / disabled)",
        "unset": "not set (the default applies)",
        "sev": {"error": "error", "warning": "warning", "info": "info"},
        "silence": 'Silence it: --ignore {code}; "ignore" or "disabled" in the rule set; '
        "{code} in a row's ExcelFlow Ignore cell",
        "unknown": "excelflow: no rule {code} (see excelflow rules list)",
    },
    "zh": {
        "severity": "级别",
        "default": "默认",
        "disabled": "本规则集已停用",
        "what": "检查内容",
        "message": "提示信息",
        "bad": "反例",
        "fix": "改正",
        "settings": "相关的规则集设置",
        "none": "无（仅 severities / disabled）",
        "unset": "未设置（用默认值）",
        "sev": {"error": "错误", "warning": "警告", "info": "提示"},
        "silence": "不报此项：--ignore {code}；规则集的 ignore 或 disabled；"
        "或在行的「忽略规则」单元格填 {code}",
        "unknown": "excelflow: 没有规则 {code}（见 excelflow rules list）",
    },
}


def explain(code: str, ruleset: Any, lang: Lang) -> dict[str, Any]:
    """Everything ``rules show CODE`` says about ``code`` (a registered rule), as data."""
    from excelflow.engine.report import plain
    from excelflow.rules import explain as ex
    from excelflow.rules import load_all

    rule = load_all()[code]
    x = ex.EXPLAINED[code]
    return {
        "code": code,
        "rule": rule.name,
        "title": rule.title(lang),
        "severity": ruleset.severities.get(code, rule.severity.value),
        "default_severity": rule.severity.value,
        "enabled": code not in ruleset.disabled,
        "what": ex.what(rule, lang),
        "message": rule.message(lang),
        "bad_example": ex.bad_example(rule, lang),
        "fix": ex.fix(rule, lang),
        "settings": {p: _setting(ruleset.document, p) for p in x.params},
        "doc": plain(rule.doc),
    }


def _show_rule(code: str, args: argparse.Namespace) -> int:
    from excelflow.pipeline.ruleset import load_ruleset
    from excelflow.rules import load_all

    lang: Lang = args.lang
    lab = _SHOW[lang]
    code = code.strip().upper()
    if code not in load_all():
        print(lab["unknown"].format(code=code), file=sys.stderr)
        return EXIT_ERROR
    info = explain(code, load_ruleset(args.ruleset), lang)
    if args.format == "json":
        print(json.dumps(info, ensure_ascii=False, indent=2, allow_nan=False))
        return EXIT_OK
    names: dict[str, str] = lab["sev"]
    sev = names[info["severity"]]
    if info["severity"] != info["default_severity"]:
        sev += f" ({lab['default']} {names[info['default_severity']]})"
    if not info["enabled"]:
        sev += f" · {lab['disabled']}"
    colon = "：" if lang == "zh" else ": "
    lines = [
        f"{code}  {info['title']}  ({info['rule']})",
        f"{lab['severity']}{colon}{sev}",
        f"{lab['what']}{colon}{info['what']}",
        f"{lab['message']}{colon}{info['message']}",
        f"{lab['bad']}{colon}{info['bad_example']}",
        f"{lab['fix']}{colon}{info['fix']}",
        f"{lab['settings']}{colon}" + ("" if info["settings"] else str(lab["none"])),
    ]
    lines += [
        f"  {k} = {lab['unset'] if v is None else _shown_setting(v)}"
        for k, v in info["settings"].items()
    ]
    lines.append(lab["silence"].format(code=code))
    print("\n".join(lines))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Run ``rules list`` or ``rules show [CODE]``.

    Raises:
        RuleSetError: the --ruleset file is invalid.
    """
    from excelflow.engine.report import plain
    from excelflow.pipeline.ruleset import describe, load_ruleset
    from excelflow.rules import load_all
    from excelflow.rules.explain import EXPLAINED, what

    if args.rules_command == "list":
        registry = load_all()
        lang: Lang = args.lang or "en"
        if args.format == "markdown":
            print(markdown_table() if args.lang is None else markdown_table(lang), end="")
            return EXIT_OK
        if args.format == "json":
            doc = [
                {
                    "code": r.code,
                    "rule": r.name,
                    "severity": r.severity.value,
                    "title": r.title(lang),
                    "description": r.description if args.lang is None else what(r, lang),
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
            if args.lang == "zh":
                x = EXPLAINED[code]
                sev = {"error": "错误", "warning": "警告", "info": "提示"}[rule.severity.value]
                print(f"{code}  {pad(sev, 4)}  {pad(rule.title('zh'), 14)}  {x.what_zh}")
                if args.verbose:
                    print(f"      反例：{x.bad_zh}\n      改正：{x.fix_zh}")
                continue
            print(f"{code}  {rule.severity.value:<7}  {rule.name:<36}  {plain(rule.description)}")
            if args.verbose:
                body = plain(rule.doc).splitlines()[1:]
                print("\n".join("      " + line for line in body if line))
        return EXIT_OK
    if args.code:
        return _show_rule(args.code, args)
    ruleset = load_ruleset(args.ruleset)
    if args.format == "json":
        print(json.dumps(ruleset.document, ensure_ascii=False, indent=2, allow_nan=False))
    else:
        from excelflow.pipeline.fields import describe_columns

        print(describe(ruleset, args.lang))
        print()
        print(describe_columns(ruleset, args.lang))
    return EXIT_OK
