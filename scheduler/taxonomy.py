"""The event vocabulary and the scoring weights, loaded from YAML files.

Both files are edited by organisers (an event may bring its own copy), so every problem is
reported with the file and the key at fault instead of a bare exception from deep inside the
YAML parser or a dataclass constructor.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scheduler.domain import COMPANY_REPEAT_RULES, ScoringWeights, Taxonomy

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_TAXONOMY_PATH = DATA_DIR / "taxonomy.yaml"
DEFAULT_WEIGHTS_PATH = DATA_DIR / "scoring.yaml"

TAXONOMY_KEYS = ("competencies", "regions", "partner_types")

_KIND_LABELS = {
    "competencies": "competency",
    "regions": "region",
    "partner_types": "partner type",
}


class ConfigError(ValueError):
    """A taxonomy or weights file (or an override) that cannot be used.

    ``path`` is the file concerned, ``key`` the offending key (``None`` when the whole file is
    unreadable); the message names both so an organiser can go straight to the line.
    """

    def __init__(self, path: str | Path | None, key: str | None, message: str) -> None:
        self.path = str(path) if path is not None else None
        self.key = key
        self.detail = message
        where = self.path or "overrides"
        if key is not None:
            where += f": key '{key}'"
        super().__init__(f"{where}: {message}")


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(path, None, "file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(path, None, "file is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(path, None, f"not valid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, None, f"not valid YAML: {exc}") from None
    if data is None:
        raise ConfigError(path, None, "file is empty")
    if not isinstance(data, dict):
        raise ConfigError(path, None, f"expected a mapping of keys at the top, got {_type_name(data)}")
    return data


def _type_name(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


# --------------------------------------------------------------------------- taxonomy


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read a taxonomy file (default ``data/taxonomy.yaml``).

    The three lists are required, must hold non-empty text and must not repeat a name (ignoring
    case and spacing, because the importer matches names that way and a repeat would be
    ambiguous).
    """
    file = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    data = _read_yaml_mapping(file)
    unknown = sorted(set(map(str, data)) - set(TAXONOMY_KEYS))
    if unknown:
        raise ConfigError(file, unknown[0], f"unknown key; expected only {', '.join(TAXONOMY_KEYS)}")
    lists: dict[str, tuple[str, ...]] = {}
    for key in TAXONOMY_KEYS:
        if key not in data:
            raise ConfigError(file, key, "missing; it must list at least one name")
        raw = data[key]
        if not isinstance(raw, list) or not raw:
            raise ConfigError(file, key, f"expected a non-empty list of names, got {_type_name(raw)}")
        names: list[str] = []
        seen: dict[str, str] = {}
        for item in raw:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise ConfigError(file, key, f"expected a name, got {_type_name(item)}")
            name = " ".join(str(item).split())
            if not name:
                raise ConfigError(file, key, "contains an empty name")
            norm = name_key(name)
            if norm in seen:
                raise ConfigError(file, key, f"'{name}' repeats '{seen[norm]}'")
            seen[norm] = name
            names.append(name)
        lists[key] = tuple(names)
    return Taxonomy(**lists)


def name_key(name: str) -> str:
    """Matching key of a taxonomy name: case, whitespace and '&' versus 'and' do not count."""
    return "".join(name.casefold().replace("&", " and ").split())


def _acronym(name: str) -> str:
    words = [w for w in name.replace("-", " ").replace("&", " ").split() if w.casefold() not in {"and", "of"}]
    return "".join(w[0] for w in words).casefold() if len(words) > 1 else ""


@dataclass(frozen=True)
class NameMatch:
    """Outcome of matching one name: ``name`` is the canonical spelling when ``known``,
    otherwise the input with its spacing tidied; ``suggestion`` is the closest known name."""

    name: str
    known: bool
    suggestion: str | None = None


class TaxonomyMatcher:
    """Maps names typed by people to the taxonomy's canonical spelling.

    Kept separate from :class:`Taxonomy` so the domain value stays a plain record while the
    lookup tables are built once per import.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._canonical: dict[str, dict[str, str]] = {}
        self._acronyms: dict[str, dict[str, str]] = {}
        for kind in TAXONOMY_KEYS:
            names: tuple[str, ...] = getattr(taxonomy, kind)
            self._canonical[kind] = {name_key(n): n for n in names}
            by_acronym: dict[str, list[str]] = {}
            for n in names:
                if acronym := _acronym(n):
                    by_acronym.setdefault(acronym, []).append(n)
            self._acronyms[kind] = {a: ns[0] for a, ns in by_acronym.items() if len(ns) == 1}

    @staticmethod
    def label(kind: str) -> str:
        """Singular human word for a kind ('competency', 'region', 'partner type')."""
        return _KIND_LABELS[kind]

    def canonical(self, kind: str, name: str) -> str | None:
        """Canonical spelling of ``name``, or ``None`` when it is not in the taxonomy."""
        return self._table(kind).get(name_key(name))

    def suggest(self, kind: str, name: str) -> str | None:
        """Closest known name for an unknown one: its acronym first ('CRM'), then spelling."""
        key = name_key(name)
        if not key:
            return None
        table = self._table(kind)
        if key in table:
            return table[key]
        if key in self._acronyms[kind]:
            return self._acronyms[kind][key]
        close = difflib.get_close_matches(key, list(table), n=1, cutoff=0.6)
        return table[close[0]] if close else None

    def match(self, kind: str, name: str) -> NameMatch:
        tidy = " ".join(name.split())
        known = self.canonical(kind, tidy)
        if known is not None:
            return NameMatch(known, True)
        return NameMatch(tidy, False, self.suggest(kind, tidy))

    def competency(self, name: str) -> NameMatch:
        return self.match("competencies", name)

    def region(self, name: str) -> NameMatch:
        return self.match("regions", name)

    def partner_type(self, name: str) -> NameMatch:
        return self.match("partner_types", name)

    def _table(self, kind: str) -> dict[str, str]:
        try:
            return self._canonical[kind]
        except KeyError:
            raise ValueError(f"unknown taxonomy kind {kind!r}; expected one of {', '.join(TAXONOMY_KEYS)}") from None


# --------------------------------------------------------------------------- weights

_WEIGHT_FIELDS = {f.name: f for f in dataclasses.fields(ScoringWeights)}


def load_weights(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> ScoringWeights:
    """Read scoring weights (default ``data/scoring.yaml``) and apply per-event ``overrides``.

    An override replaces one field as a whole (``partner_type_fit`` included). Fields missing
    from the file keep the defaults of :class:`ScoringWeights`. ``partner_type_fit`` keys are
    stored with the two names in alphabetical order whatever order the file used.
    """
    file = Path(path) if path is not None else DEFAULT_WEIGHTS_PATH
    values = _weights_values(_read_yaml_mapping(file), file)
    if overrides:
        values.update(_weights_values(dict(overrides), None))
    weights = ScoringWeights(**values)
    _check_wish_order(weights, file, overrides or {})
    return weights


# Wish weights from the lowest tier up: each must be at least the one before it, so a stronger
# wish never weighs less than a weaker one (an organiser may still set them all to zero).
WISH_WEIGHT_KEYS = ("wish_want", "wish_want_mutual", "wish_must", "wish_must_mutual")


def _check_wish_order(weights: ScoringWeights, file: Path, overrides: Mapping[str, Any]) -> None:
    """Wish weights are never negative and never out of order: a mutual Must that weighs less
    than a one-sided Want would turn the organiser's promise upside down."""
    previous: str | None = None
    for key in WISH_WEIGHT_KEYS:
        source = None if key in overrides else file
        value = float(getattr(weights, key))
        if value < 0:
            raise ConfigError(source, key, f"expected a number of at least 0, got {value:g}")
        if previous is not None and value < float(getattr(weights, previous)):
            raise ConfigError(source, key, f"must be at least {previous} "
                                           f"({float(getattr(weights, previous)):g}), got {value:g}")
        previous = key


def _weights_values(data: Mapping[str, Any], source: Path | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for raw_key, raw in data.items():
        key = str(raw_key)
        spec = _WEIGHT_FIELDS.get(key)
        if spec is None:
            close = difflib.get_close_matches(key, list(_WEIGHT_FIELDS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(source, key, f"unknown scoring weight{hint}")
        if key == "partner_type_fit":
            values[key] = _fit_table(raw, source)
        elif key == "max_matches_counted":
            values[key] = _as_int(raw, source, key)
        elif key == "prefer_same_region":
            values[key] = _as_bool(raw, source, key)
        elif key == "company_repeats":
            values[key] = _as_choice(raw, source, key, COMPANY_REPEAT_RULES)
        else:
            values[key] = _as_float(raw, source, key)
    return values


def _as_float(raw: Any, source: Path | None, key: str) -> float:
    if isinstance(raw, bool):
        raise ConfigError(source, key, f"expected a number, got {raw!r}")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(source, key, f"expected a number, got {_type_name(raw)}") from None
    if not math.isfinite(value):
        raise ConfigError(source, key, f"expected a finite number, got {raw!r}")
    return value


def _as_int(raw: Any, source: Path | None, key: str) -> int:
    value = _as_float(raw, source, key)
    if value != int(value) or value < 0:
        raise ConfigError(source, key, f"expected a whole number of at least 0, got {raw!r}")
    return int(value)


def _as_choice(raw: Any, source: Path | None, key: str, choices: tuple[str, ...]) -> str:
    if raw is False and "off" in choices:
        return "off"                # YAML reads an unquoted off as false
    text = str(raw).strip().casefold() if isinstance(raw, str) else None
    if text not in choices:
        raise ConfigError(source, key, f"expected one of {', '.join(choices)}, got {raw!r}")
    return text


def _as_bool(raw: Any, source: Path | None, key: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().casefold()
    if text in {"true", "yes", "on", "1"}:
        return True
    if text in {"false", "no", "off", "0"}:
        return False
    raise ConfigError(source, key, f"expected true or false, got {raw!r}")


def _fit_table(raw: Any, source: Path | None) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(source, "partner_type_fit", f"expected a mapping of 'A|B' to a number, got {_type_name(raw)}")
    table: dict[str, float] = {}
    for raw_pair, raw_value in raw.items():
        label = f"partner_type_fit.{raw_pair}"
        parts = [" ".join(p.split()) for p in str(raw_pair).split("|")]
        if len(parts) != 2 or not all(parts):
            raise ConfigError(source, label, "expected two partner types separated by '|', e.g. 'ISV|Reseller'")
        pair = "|".join(sorted(parts))
        if pair in table:
            raise ConfigError(source, label, f"the pair '{pair}' is listed twice")
        table[pair] = _as_float(raw_value, source, label)
    return table
