"""Every feature the xlwings renderer can report as not carried over (``render_objects``) or
refused by the calling Excel (``render.guard``) has a Chinese name for the scripts' messages."""

from __future__ import annotations

import re
from pathlib import Path

from excelflow.xl import macro_labels as say

XL = Path(say.__file__).parent


def reported_names() -> set[str]:
    names: set[str] = set()
    for module in ("render.py", "render_objects.py"):
        text = (XL / module).read_text(encoding="utf-8")
        names |= set(re.findall(r'guard\("([^"]+)"\)', text))
        names |= set(re.findall(r'out\.add\("([^"]+)"\)', text))
        names |= set(re.findall(r'return \{"([^"]+)"\}', text))
        names |= set(re.findall(r'\{"([^"]+)"\} if ', text))
    return names


def test_every_reported_feature_has_a_chinese_name() -> None:
    names = reported_names()
    assert len(names) > 20  # the scan found the renderer's names
    assert sorted(names - set(say.FEATURES_ZH)) == []


def test_feature_lists_follow_the_language() -> None:
    items = ["charts", "tab colours", "list validations"]
    assert say.features(items, "en") == "charts, tab colours, list validations"
    assert say.features(items, "zh") == "图表、工作表标签颜色、list 类数据验证"
