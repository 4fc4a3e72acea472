"""SARIF 2.1.0, as ruff, eslint (``@microsoft/eslint-formatter-sarif``), semgrep and CodeQL write it.

>>> report = parse_sarif(b'''{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ruff"}},
...   "results": [{"ruleId": "F401", "level": "error", "message": {"text": "`os` imported but unused"},
...     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "file:///src/app.py"},
...                                         "region": {"startLine": 1, "startColumn": 8}}}]}]}]}''')
>>> f = report.findings[0]
>>> report.tool, f.path, f.line, f.column, f.rule, f.level, f.message
('ruff', '/src/app.py', 1, 8, 'F401', 'error', '`os` imported but unused')
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from kairos_lsp.terminal.model import MAX_BYTES, Finding, Report, ReportError
from kairos_lsp.terminal.stacks import uri_path

LEVELS = {"error": "error", "warning": "warning", "note": "note", "none": "note"}


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _pos(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def parse_json(data: bytes) -> Any:
    if len(data) > MAX_BYTES:
        raise ReportError(f"report is {len(data) // (1 << 20)} MB; only reports up to {MAX_BYTES >> 20} MB are read")
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ReportError("not JSON: the file is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ReportError(f"not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise ReportError("not JSON this parser accepts: nested too deeply") from None


def is_sarif(obj: Any) -> bool:
    if not isinstance(obj, dict) or not isinstance(obj.get("runs"), list):
        return False
    return "sarif" in str(obj.get("$schema", "")).lower() or str(obj.get("version", "")).startswith("2.1")


def _base(run: dict, base_id: str | None) -> str:
    if not base_id:
        return ""
    uri = _str(_dict(_dict(run.get("originalUriBaseIds")).get(base_id)).get("uri"))
    return uri_path(uri).rstrip("/") + "/" if uri else ""


def _location(run: dict, result: dict) -> tuple[str, int, int | None] | None:
    for location in _list(result.get("locations")):
        physical = _dict(_dict(location).get("physicalLocation"))
        artifact = _dict(physical.get("artifactLocation"))
        uri = _str(artifact.get("uri"))
        index = artifact.get("index")
        artifacts = _list(run.get("artifacts"))
        base_id = _str(artifact.get("uriBaseId"))
        if uri is None and isinstance(index, int) and 0 <= index < len(artifacts):
            listed = _dict(_dict(artifacts[index]).get("location"))
            uri, base_id = _str(listed.get("uri")), base_id or _str(listed.get("uriBaseId"))
        if uri is None:
            continue
        path = uri_path(uri) if uri.startswith("file:") else _base(run, base_id) + unquote(uri)
        region = _dict(physical.get("region"))
        return path, _pos(region.get("startLine")) or 1, _pos(region.get("startColumn"))
    return None


def sarif_from_obj(obj: Any) -> Report:
    if not isinstance(obj, dict) or not isinstance(obj.get("runs"), list):
        raise ReportError("not a SARIF log: no list of runs")
    findings: list[Finding] = []
    tools: list[str] = []
    for run in map(_dict, obj["runs"]):
        driver = _dict(_dict(run.get("tool")).get("driver"))
        tool = (_str(driver.get("name")) or "unknown").lower()
        tools.append(tool)
        rules = [_dict(r) for r in _list(driver.get("rules"))]
        for result in map(_dict, _list(run.get("results"))):
            where = _location(run, result)
            if where is None:
                continue
            rule_index = result.get("ruleIndex")
            rule_meta = rules[rule_index] if isinstance(rule_index, int) and 0 <= rule_index < len(rules) else {}
            rule = _str(result.get("ruleId")) or _str(_dict(result.get("rule")).get("id")) or _str(rule_meta.get("id"))
            if rule and not rule_meta:
                rule_meta = next((r for r in rules if r.get("id") == rule), {})
            level = _str(result.get("level")) or _str(_dict(rule_meta.get("defaultConfiguration")).get("level"))
            message = _dict(result.get("message"))
            text = _str(message.get("text")) or _str(message.get("markdown")) or ""
            findings.append(
                Finding(
                    path=where[0],
                    line=where[1],
                    column=where[2],
                    tool=tool,
                    rule=rule,
                    level=LEVELS.get(level or "warning", "warning"),
                    message=text.strip().split("\n", 1)[0].strip(),
                )
            )
    return Report(format="sarif", tool=tools[0] if len(set(tools)) == 1 else None, findings=findings)


def parse_sarif(data: bytes) -> Report:
    """The findings of a SARIF log, one per result with a location; ReportError on bad input."""
    return sarif_from_obj(parse_json(data))
