"""Taxonomy and scoring-weight files: what an organiser sees when they load or break them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scheduler.domain import ScoringWeights, Taxonomy
from scheduler.taxonomy import DEFAULT_WEIGHTS_PATH, ConfigError, TaxonomyMatcher, load_taxonomy, load_weights


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="module")
def matcher(taxonomy: Taxonomy) -> TaxonomyMatcher:
    return TaxonomyMatcher(taxonomy)


def write(tmp_path: Path, text: str, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- default taxonomy


def test_default_taxonomy_has_the_partner_network_vocabulary(taxonomy: Taxonomy) -> None:
    assert 28 <= len(taxonomy.competencies) <= 36
    for name in ("Software Development", "Hosting", "Identity and Security", "Backup and Disaster Recovery",
                 "AI and Machine Learning", "IoT", "Customer Relationship Management"):
        assert name in taxonomy.competencies
    assert taxonomy.regions == ("APAC", "EMEA", "LATAM", "NA")
    assert set(taxonomy.partner_types) == {"ISV", "Systems Integrator", "Hosting Provider", "Reseller",
                                           "Distributor", "Consultancy", "Managed Services Provider"}


# ---------------------------------------------------------------- matcher


@pytest.mark.parametrize("typed", ["hosting", "  HOSTING ", "Hos ting", "hOsTiNg\t"])
def test_names_match_ignoring_case_and_whitespace(matcher: TaxonomyMatcher, typed: str) -> None:
    result = matcher.competency(typed)
    assert result.known and result.name == "Hosting"


def test_ampersand_and_and_are_the_same(matcher: TaxonomyMatcher) -> None:
    assert matcher.competency("backup & disaster recovery").name == "Backup and Disaster Recovery"


def test_regions_and_partner_types_are_matched_too(matcher: TaxonomyMatcher) -> None:
    assert matcher.region("emea").name == "EMEA"
    assert matcher.partner_type("systems  integrator").name == "Systems Integrator"
    assert matcher.partner_type("isv").name == "ISV"


def test_unknown_name_is_kept_and_the_closest_known_one_suggested(matcher: TaxonomyMatcher) -> None:
    result = matcher.competency("Hostng")
    assert not result.known
    assert result.name == "Hostng"
    assert result.suggestion == "Hosting"
    assert matcher.partner_type("Resseller").suggestion == "Reseller"


def test_acronym_suggests_the_spelled_out_competency(matcher: TaxonomyMatcher) -> None:
    assert matcher.competency("CRM").suggestion == "Customer Relationship Management"
    assert matcher.competency("ERP").suggestion == "Enterprise Resource Planning"


def test_nonsense_gets_no_suggestion(matcher: TaxonomyMatcher) -> None:
    result = matcher.competency("Underwater Basket Weaving")
    assert not result.known and result.suggestion is None


def test_unknown_kind_is_a_clear_error(matcher: TaxonomyMatcher) -> None:
    with pytest.raises(ValueError, match="unknown taxonomy kind 'colours'"):
        matcher.match("colours", "red")


# ---------------------------------------------------------------- event taxonomy files


def test_an_event_can_bring_its_own_taxonomy(tmp_path: Path) -> None:
    path = write(tmp_path, "competencies: [Quantum, Robotics]\nregions: [Mars]\npartner_types: [Builder]\n")
    custom = load_taxonomy(path)
    assert custom == Taxonomy(("Quantum", "Robotics"), ("Mars",), ("Builder",))
    assert TaxonomyMatcher(custom).competency("robotics").name == "Robotics"
    assert not TaxonomyMatcher(custom).competency("Hosting").known


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("competencies: [A\nregions: [B]\n", r"file\.yaml: not valid YAML at line \d+"),
        ("regions: [EMEA]\npartner_types: [ISV]\n", r"file\.yaml: key 'competencies': missing"),
        ("competencies: Hosting\nregions: [EMEA]\npartner_types: [ISV]\n", r"key 'competencies': expected a non-empty list"),
        ("competencies: []\nregions: [EMEA]\npartner_types: [ISV]\n", r"key 'competencies': expected a non-empty list"),
        ("competencies: [Hosting, ' hosting ']\nregions: [EMEA]\npartner_types: [ISV]\n", r"key 'competencies': 'hosting' repeats 'Hosting'"),
        ("competencies: [Hosting]\nregions: [{a: 1}]\npartner_types: [ISV]\n", r"key 'regions': expected a name"),
        ("competencies: [A]\nregions: [B]\npartner_types: [C]\ncolours: [red]\n", r"key 'colours': unknown key"),
        ("- just\n- a list\n", r"file\.yaml: expected a mapping"),
        ("", r"file\.yaml: file is empty"),
    ],
)
def test_malformed_taxonomy_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=expected):
        load_taxonomy(path)


def test_missing_taxonomy_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: file not found"):
        load_taxonomy(tmp_path / "nowhere.yaml")


# ---------------------------------------------------------------- weights


def test_default_weights_set_every_field() -> None:
    raw = DEFAULT_WEIGHTS_PATH.read_text(encoding="utf-8")
    for f in dataclasses.fields(ScoringWeights):
        assert f"\n{f.name}:" in raw, f"data/scoring.yaml does not set {f.name}"


def test_default_fit_table_prefers_complementary_partner_types(taxonomy: Taxonomy) -> None:
    fit = load_weights().partner_type_fit
    assert fit["ISV|Systems Integrator"] > fit["Reseller|Reseller"]
    assert fit["Hosting Provider|ISV"] > fit["Reseller|Reseller"]
    assert fit["Reseller|Reseller"] <= 0
    assert fit["Distributor|Distributor"] <= 0
    for pair in fit:
        a, b = pair.split("|")
        assert a <= b, f"{pair} is not in alphabetical order"
        assert a in taxonomy.partner_types and b in taxonomy.partner_types, pair


def test_overrides_replace_single_fields() -> None:
    base = load_weights()
    changed = load_weights(overrides={"offer_match": 20, "prefer_same_region": True})
    assert changed.offer_match == 20.0 and changed.prefer_same_region is True
    assert changed.mutual_bonus == base.mutual_bonus
    assert changed.partner_type_fit == base.partner_type_fit


def test_override_of_the_fit_table_replaces_it_and_sorts_keys() -> None:
    weights = load_weights(overrides={"partner_type_fit": {"Reseller|ISV": 3}})
    assert weights.partner_type_fit == {"ISV|Reseller": 3.0}


def test_form_values_as_text_are_accepted() -> None:
    weights = load_weights(overrides={"region_bonus": "2.5", "max_matches_counted": "4", "prefer_same_region": "yes"})
    assert (weights.region_bonus, weights.max_matches_counted, weights.prefer_same_region) == (2.5, 4, True)


def test_unknown_override_key_is_named_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"key 'offer_matchh': unknown scoring weight \(did you mean 'offer_match'\?\)"):
        load_weights(overrides={"offer_matchh": 1})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"mutual_bonus": "lots"}, r"key 'mutual_bonus': expected a number"),
        ({"mutual_bonus": True}, r"key 'mutual_bonus': expected a number"),
        ({"max_matches_counted": 2.5}, r"key 'max_matches_counted': expected a whole number"),
        ({"prefer_same_region": "maybe"}, r"key 'prefer_same_region': expected true or false"),
        ({"partner_type_fit": {"ISV": 1}}, r"key 'partner_type_fit.ISV': expected two partner types"),
        ({"partner_type_fit": {"ISV|Reseller": 1, "Reseller|ISV": 2}}, r"listed twice"),
        ({"offer_match": float("nan")}, r"key 'offer_match': expected a finite number"),
    ],
)
def test_bad_override_values_name_the_key(overrides: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_weights(overrides=overrides)


def test_weights_file_errors_name_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "offer_match: 5\ncompetitor_penality: 3\n", "weights.yaml")
    with pytest.raises(ConfigError, match=r"weights\.yaml: key 'competitor_penality': unknown scoring weight"):
        load_weights(path)


def test_partial_weights_file_keeps_defaults_for_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, "offer_match: 5\n", "weights.yaml")
    weights = load_weights(path)
    assert weights.offer_match == 5.0
    assert weights.mutual_bonus == ScoringWeights().mutual_bonus
