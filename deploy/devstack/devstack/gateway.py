"""Renders ``gateway/templates/*.template`` the way the nginx image's envsubst does in compose."""

import re
from pathlib import Path

_SETTING = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def render(templates: Path, target: Path, values: dict[str, str]) -> Path:
    """Write every template into ``target`` with its ``${NAME}`` replaced; returns nginx.conf."""
    target.mkdir(parents=True, exist_ok=True)
    for template in sorted(templates.glob("*.template")):
        text = template.read_text()
        missing = sorted({m for m in _SETTING.findall(text) if m not in values})
        if missing:
            raise KeyError(f"{template.name}: no value for {', '.join(missing)}")
        rendered = _SETTING.sub(lambda m: values[m.group(1)], text)
        (target / template.name.removesuffix(".template")).write_text(rendered)
    return target / "nginx.conf"
