"""Batch record linkage (I6): which contacts or organisations are probably the same.

Pure Python over splink (DuckDB), no Django: the runner in the `resolution` app loads the
records in bulk as plain dicts, calls `link_records`, and stores what it returns.

How it works. A Fellegi-Sunter model, trained unsupervised on the records themselves:

1. Normalise every field (`rapport.analytics.names`): case, accents, punctuation, phones to
   their last nine digits, e-mail domains, legal forms dropped from company names, given
   names through a nickname table. Fields that are absent or empty in every record are
   left out of the model, so one engine serves FEBRL-like people (no e-mail) and CRM
   contacts (no date of birth).
2. Blocking: only pairs that agree on at least one cheap key are compared (the union of
   several rules, each on its own field, so a typo in one field does not lose the pair).
3. Each field is compared at graded levels (exact, nickname, Jaro-Winkler ≥ 0.92, one
   typo, swapped with the surname, ...). Exact agreement on a common value counts for less
   than on a rare one (term-frequency adjustment).
4. u (how often non-matches agree at each level) is estimated from random pairs; m (how
   often matches do) by expectation-maximisation, once per training blocking rule so that
   each field is trained on pairs that were not chosen for agreeing on it. Every m is
   floored at 0.001, so no single field can veto a pair the others call a match.
5. Pairs at or above `threshold` are kept; clusters are their connected components.

Under `_SMALL` records there is nothing to learn from, and a fixed model with textbook
m/u values is used instead (see `_use_textbook_values`).
"""

from __future__ import annotations

import copy
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rapport.analytics import names

MODEL_NAME = "splink-fs"
MODEL_VERSION = "1"

Kind = Literal["person", "organisation"]

# u-estimation budget: random pairs sampled to learn how often non-matches agree.
_U_MAX_PAIRS = 1e5
# Smallest m a level may keep after EM. Unregularised EM drives m of "different" levels
# towards 0 (weights of -50 bits) when the training pairs happen to agree, and then one
# field can veto a pair that every other field calls a match.
_M_FLOOR = 1e-3
# EM needs pairs to learn from; a training rule that admits fewer is skipped.
_EM_MIN_PAIRS = 20
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkedPair:
    """Two records judged the same at `probability`, with the evidence per compared field."""

    left_id: str
    right_id: str
    probability: float
    evidence: dict[str, str]


@dataclass(frozen=True)
class Linkage:
    """The outcome of one batch linkage run."""

    pairs: list[LinkedPair]
    clusters: list[list[str]]
    model: str
    version: str
    parameters: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# Preparing the records


_PERSON_FIELDS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "given_name": lambda r: names.plain(r.get("given_name")),
    "given_canon": lambda r: names.given_name_canonical(r.get("given_name")),
    "surname": lambda r: names.compact(r.get("surname")),
    "email": lambda r: names.email_address(r.get("email")),
    "email_local": lambda r: names.email_local(r.get("email")),
    "phone": lambda r: names.phone_digits(r.get("phone")),
    "street_number": lambda r: names.compact(r.get("street_number")),
    "address_1": lambda r: names.plain(r.get("address_1")),
    "address_2": lambda r: names.plain(r.get("address_2")),
    "suburb": lambda r: names.plain(r.get("suburb") or r.get("city")),
    "postcode": lambda r: names.compact(r.get("postcode")),
    "state": lambda r: names.compact(r.get("state")),
    "date_of_birth": lambda r: names.date_digits(r.get("date_of_birth")),
    "organisation": lambda r: names.organisation_name(r.get("organisation")),
}

_ORGANISATION_FIELDS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "name": lambda r: names.organisation_name(r.get("name")),
    "domain": lambda r: names.domain(r.get("domain")),
    "phone": lambda r: names.phone_digits(r.get("phone")),
    "address": lambda r: names.plain(r.get("address")),
    "city": lambda r: names.plain(r.get("city")),
    "postcode": lambda r: names.compact(r.get("postcode")),
    "country": lambda r: names.plain(r.get("country")),
}


def prepare(
    records: Sequence[Mapping[str, Any]], *, kind: Kind, id_field: str = "id"
) -> tuple[list[dict[str, str | None]], list[str]]:
    """Normalised rows (`uid` plus model columns) and the columns that hold any value."""
    fields = _PERSON_FIELDS if kind == "person" else _ORGANISATION_FIELDS
    rows: list[dict[str, str | None]] = []
    seen: set[str] = set()
    for record in records:
        uid = str(record[id_field])
        if uid in seen:
            raise ValueError(f"duplicate record id {uid!r}")
        seen.add(uid)
        row: dict[str, str | None] = {"uid": uid}
        for name, normalise in fields.items():
            row[name] = normalise(record)
        rows.append(row)
    present = [name for name in fields if any(row[name] for row in rows)]
    return rows, present


# ---------------------------------------------------------------------------------------
# Comparisons: splink settings dicts built from small level helpers


def _col(name: str, side: str) -> str:
    return f'"{name}_{side}"'


def _null(name: str) -> dict[str, Any]:
    return {
        "sql_condition": f"{_col(name, 'l')} IS NULL OR {_col(name, 'r')} IS NULL",
        "label_for_charts": "missing",
        "is_null_level": True,
    }


def _exact(name: str, *, tf: bool, on: str | None = None, label: str = "exact") -> dict[str, Any]:
    column = on or name
    level: dict[str, Any] = {
        "sql_condition": f"{_col(column, 'l')} = {_col(column, 'r')}",
        "label_for_charts": label,
    }
    if tf:
        level["tf_adjustment_column"] = column
        level["tf_adjustment_weight"] = 1.0
    return level


def _jaro_winkler(name: str, threshold: float) -> dict[str, Any]:
    return {
        "sql_condition": (
            f"jaro_winkler_similarity({_col(name, 'l')}, {_col(name, 'r')}) >= {threshold}"
        ),
        "label_for_charts": f"Jaro-Winkler ≥ {threshold}",
    }


def _typos(name: str, distance: int) -> dict[str, Any]:
    return {
        "sql_condition": (
            f"damerau_levenshtein({_col(name, 'l')}, {_col(name, 'r')}) <= {distance}"
        ),
        "label_for_charts": "one typo" if distance == 1 else f"{distance} typos",
    }


def _custom(sql: str, label: str) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label}


def _else() -> dict[str, Any]:
    return {"sql_condition": "ELSE", "label_for_charts": "different"}


def _comparison(name: str, levels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "output_column_name": name,
        "comparison_description": name,
        "comparison_levels": levels,
    }


# Given name and surname swapped between the two records (each side may carry a typo).
_SWAPPED_SQL = (
    'jaro_winkler_similarity("given_name_l", "surname_r") >= 0.88'
    ' AND jaro_winkler_similarity("surname_l", "given_name_r") >= 0.88'
)
_SWAP_COUNTED_ELSEWHERE = "swapped with given name"


def _person_comparisons(present: list[str]) -> list[dict[str, Any]]:
    has = set(present)
    out = []
    if "given_name" in has:
        levels = [_null("given_name"), _exact("given_name", tf=True)]
        levels.append(_exact("given_name", tf=False, on="given_canon", label="nickname"))
        levels += [_jaro_winkler("given_name", 0.92), _jaro_winkler("given_name", 0.88)]
        if "surname" in has:
            levels.append(_custom(_SWAPPED_SQL, "swapped with surname"))
        levels.append(
            _custom(
                '(length("given_name_l") = 1 OR length("given_name_r") = 1)'
                ' AND substr("given_name_l", 1, 1) = substr("given_name_r", 1, 1)',
                "initial",
            )
        )
        levels += [_jaro_winkler("given_name", 0.7), _else()]
        out.append(_comparison("given_name", levels))
    if "surname" in has:
        levels = [_null("surname"), _exact("surname", tf=True)]
        levels += [_jaro_winkler("surname", 0.92), _jaro_winkler("surname", 0.88)]
        if "given_name" in has:
            # Weight 0 (see _settle): the swap is already counted once under given_name.
            levels.append(_custom(_SWAPPED_SQL, _SWAP_COUNTED_ELSEWHERE))
        levels += [_jaro_winkler("surname", 0.7), _else()]
        out.append(_comparison("surname", levels))
    if "email" in has:
        levels = [_null("email"), _exact("email", tf=False)]
        levels.append(_exact("email", tf=False, on="email_local", label="same mailbox name"))
        levels += [_jaro_winkler("email_local", 0.88), _else()]
        out.append(_comparison("email", levels))
    if "phone" in has:
        levels = [_null("phone"), _exact("phone", tf=True), _typos("phone", 1), _else()]
        out.append(_comparison("phone", levels))
    if "date_of_birth" in has:
        levels = [_null("date_of_birth"), _exact("date_of_birth", tf=True)]
        levels += [_typos("date_of_birth", 1), _typos("date_of_birth", 2), _else()]
        out.append(_comparison("date_of_birth", levels))
    if "street_number" in has:
        levels = [_null("street_number"), _exact("street_number", tf=True)]
        levels += [_typos("street_number", 1), _else()]
        out.append(_comparison("street_number", levels))
    for name in ("address_1", "address_2"):
        if name in has:
            levels = [_null(name), _exact(name, tf=True), _jaro_winkler(name, 0.9)]
            levels += [_jaro_winkler(name, 0.7), _else()]
            out.append(_comparison(name, levels))
    if "suburb" in has:
        levels = [_null("suburb"), _exact("suburb", tf=True), _jaro_winkler("suburb", 0.9)]
        levels += [_jaro_winkler("suburb", 0.7), _else()]
        out.append(_comparison("suburb", levels))
    if "postcode" in has:
        levels = [_null("postcode"), _exact("postcode", tf=True), _typos("postcode", 1), _else()]
        out.append(_comparison("postcode", levels))
    if "state" in has:
        out.append(_comparison("state", [_null("state"), _exact("state", tf=False), _else()]))
    if "organisation" in has:
        levels = [_null("organisation"), _exact("organisation", tf=True)]
        levels += [_jaro_winkler("organisation", 0.9), _else()]
        out.append(_comparison("organisation", levels))
    return out


def _organisation_comparisons(present: list[str]) -> list[dict[str, Any]]:
    has = set(present)
    out = []
    if "name" in has:
        levels = [_null("name"), _exact("name", tf=True), _jaro_winkler("name", 0.92)]
        levels += [_jaro_winkler("name", 0.8), _else()]
        out.append(_comparison("name", levels))
    if "domain" in has:
        out.append(_comparison("domain", [_null("domain"), _exact("domain", tf=True), _else()]))
    if "phone" in has:
        levels = [_null("phone"), _exact("phone", tf=True), _typos("phone", 1), _else()]
        out.append(_comparison("phone", levels))
    if "address" in has:
        levels = [_null("address"), _exact("address", tf=True), _jaro_winkler("address", 0.9)]
        levels += [_else()]
        out.append(_comparison("address", levels))
    if "city" in has:
        levels = [_null("city"), _exact("city", tf=True), _jaro_winkler("city", 0.9), _else()]
        out.append(_comparison("city", levels))
    if "postcode" in has:
        levels = [_null("postcode"), _exact("postcode", tf=True), _else()]
        out.append(_comparison("postcode", levels))
    if "country" in has:
        out.append(_comparison("country", [_null("country"), _exact("country", tf=False), _else()]))
    return out


# Blocking rules: each a tuple of parts that must all hold, a part being a column
# ("surname": equal on both sides), a column pair ("given_name~surname": the left's given
# name is the right's surname, for swapped names) or substr(column, 1, n). A rule is used
# when all its columns are present.
_PERSON_BLOCKING: tuple[tuple[str, ...], ...] = (
    ("given_name",),
    ("surname",),
    ("given_name~surname",),
    ("surname~given_name",),
    ("date_of_birth",),
    ("postcode",),
    ("email",),
    ("phone",),
)
# Past this many records a one-column rule on a common name or postcode admits millions of
# pairs (100,000 contacts with 2% called John give 2 million from one name), so each is
# narrowed by a second key. FEBRL-sized inputs keep the wide rules: they recover typos.
_LARGE = 20_000
_PERSON_BLOCKING_LARGE: tuple[tuple[str, ...], ...] = (
    ("given_name", "substr(surname, 1, 1)"),
    ("surname", "substr(given_name, 1, 1)"),
    ("given_name~surname",),
    ("surname~given_name",),
    ("date_of_birth",),
    ("postcode", "street_number"),
    ("postcode", "substr(given_name, 1, 1)"),
    ("email",),
    ("phone",),
)
_ORGANISATION_BLOCKING: tuple[tuple[str, ...], ...] = (
    ("name",),
    ("domain",),
    ("phone",),
    ("postcode", "substr(name, 1, 3)"),
    ("city", "substr(name, 1, 3)"),
)
# Rules for EM training: each trains every comparison not in it.
_PERSON_TRAINING: tuple[tuple[str, ...], ...] = (
    ("given_name", "surname"),
    ("date_of_birth",),
    ("email",),
    ("phone",),
    ("postcode", "street_number"),
)
_ORGANISATION_TRAINING: tuple[tuple[str, ...], ...] = (
    ("name",),
    ("domain",),
    ("phone",),
)
# Rules precise enough to count matches directly, for the prior match probability.
_PERSON_DETERMINISTIC: tuple[tuple[str, ...], ...] = (
    ("given_name", "surname", "date_of_birth"),
    ("email",),
    ("given_name", "surname", "phone"),
)
_ORGANISATION_DETERMINISTIC: tuple[tuple[str, ...], ...] = (
    ("name", "domain"),
    ("name", "phone"),
)


_SUBSTR = re.compile(r"^substr\((\w+), (\d+), (\d+)\)$")


def _columns_of(rule: tuple[str, ...]) -> set[str]:
    cols: set[str] = set()
    for part in rule:
        if match := _SUBSTR.match(part):
            cols.add(match.group(1))
        else:
            cols.update(part.split("~"))
    return cols


def blocking_rules(kind: Kind, present: list[str], records: int) -> list[tuple[str, ...]]:
    """The blocking rules used for `records` records with these columns present."""
    if kind == "organisation":
        return _usable(_ORGANISATION_BLOCKING, present)
    return _usable(_PERSON_BLOCKING if records <= _LARGE else _PERSON_BLOCKING_LARGE, present)


def _rule_sql(rule: tuple[str, ...]) -> str:
    """The SQL join condition of a blocking rule (see `_PERSON_BLOCKING`)."""
    conditions = []
    for part in rule:
        if match := _SUBSTR.match(part):
            column, start, length = match.groups()
            conditions.append(
                f'substr(l."{column}", {start}, {length}) = substr(r."{column}", {start}, {length})'
            )
        else:
            left, _, right = part.partition("~")
            conditions.append(f'l."{left}" = r."{right or left}"')
    return " AND ".join(conditions)


def _usable(rules: tuple[tuple[str, ...], ...], present: list[str]) -> list[tuple[str, ...]]:
    has = set(present)
    return [rule for rule in rules if _columns_of(rule) <= has]


# ---------------------------------------------------------------------------------------
# The engine


def link_records(
    records: Sequence[Mapping[str, Any]],
    *,
    kind: Kind,
    id_field: str = "id",
    threshold: float = 0.5,
    seed: int = 0,
    u_max_pairs: float = _U_MAX_PAIRS,
) -> Linkage:
    """Find the records that are probably the same person or organisation.

    Returns the pairs at or above `threshold` (left_id < right_id, strongest first) with
    the level each field agreed at, their connected components as clusters, and the
    trained model (m/u per level, blocking rules, counts) for audit. `u_max_pairs` is
    the number of random pairs u is learned from; the same `seed` gives the same result.
    """
    if kind not in ("person", "organisation"):
        raise ValueError(f"unknown kind {kind!r}")
    rows, present = prepare(records, kind=kind, id_field=id_field)
    comparisons = (
        _person_comparisons(present) if kind == "person" else _organisation_comparisons(present)
    )
    blocking = blocking_rules(kind, present, len(rows))
    base_parameters: dict[str, Any] = {
        "kind": kind,
        "records": len(rows),
        "columns": present,
        "threshold": threshold,
        "seed": seed,
    }
    if len(rows) < 2 or not comparisons or not blocking:
        return Linkage([], [], MODEL_NAME, MODEL_VERSION, {**base_parameters, "pairs": 0})

    linker = _train(
        rows, present, comparisons, blocking, kind=kind, seed=seed, u_max_pairs=u_max_pairs
    )
    fields = [c["output_column_name"] for c in comparisons]
    try:
        predictions = linker.inference.predict(
            threshold_match_probability=threshold, warning_mode="never"
        )
        columns = ", ".join(f'"mw_{name}"' for name in fields)
        result = (
            predictions.as_duckdbpyrelation()
            .query("p", f"SELECT uid_l, uid_r, match_probability, {columns} FROM p")
            .fetchall()
        )
        levels = _levels_by_weight(linker)
        prior = _prior(linker)
        trained = _trained_levels(linker)
    finally:
        linker._db_api.duckdb_con.close()

    pairs: list[LinkedPair] = []
    for row in result:
        left, right, probability = str(row[0]), str(row[1]), float(row[2])
        if probability < threshold:
            continue
        if right < left:
            left, right = right, left
        evidence = {}
        for name, weight in zip(fields, row[3:], strict=True):
            label = _level_at(levels[name], weight)
            if label is not None:
                evidence[name] = label
        pairs.append(LinkedPair(left, right, probability, evidence))
    pairs.sort(key=lambda p: (-p.probability, p.left_id, p.right_id))
    clusters = connected_components([(p.left_id, p.right_id) for p in pairs])
    parameters = {
        **base_parameters,
        "splink_version": _splink_version(),
        "blocking_rules": [_rule_sql(rule) for rule in blocking],
        "probability_two_random_records_match": prior,
        "comparisons": trained,
        "pairs": len(pairs),
        "clusters": len(clusters),
    }
    return Linkage(pairs, clusters, MODEL_NAME, MODEL_VERSION, parameters)


def _train(
    rows: list[dict[str, str | None]],
    present: list[str],
    comparisons: list[dict[str, Any]],
    blocking: list[tuple[str, ...]],
    *,
    kind: Kind,
    seed: int,
    u_max_pairs: float,
) -> Any:
    """A splink linker on the rows, with u by random sampling and m by per-rule EM."""
    linker = _linker(rows, present, comparisons, blocking)
    if len(rows) < _SMALL:
        _use_textbook_values(linker)
        _settle(linker, u_max_pairs)
        return linker
    training = linker.training

    deterministic = _usable(
        _PERSON_DETERMINISTIC if kind == "person" else _ORGANISATION_DETERMINISTIC, present
    )
    if deterministic:
        try:
            training.estimate_probability_two_random_records_match(
                [_rule_sql(rule) for rule in deterministic], recall=0.7
            )
        except Exception:  # tiny inputs with no agreeing pair: keep the default
            logger.debug("prior estimate failed", exc_info=True)
    if not deterministic or not 0 < _prior(linker) < 1:
        # The precise rules found no match: assume they would have found one (at their
        # recall of 0.7), an upper bound that keeps the model sceptical.
        total = len(rows) * (len(rows) - 1) / 2
        linker._settings_obj._probability_two_random_records_match = min(0.5, 1 / (0.7 * total))

    training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed, num_chunks=1)
    rules = _usable(_PERSON_TRAINING if kind == "person" else _ORGANISATION_TRAINING, present)
    fields = {comparison["output_column_name"] for comparison in comparisons}
    trained: set[str] = set()
    for rule in rules:
        # Each session trains the comparisons outside its rule; stop once all are trained.
        if not (fields - trained - set(rule)) or _pairs_under(rows, rule) < _EM_MIN_PAIRS:
            continue
        # A failed session can leave the settings without the rule's comparisons.
        before = copy.deepcopy(linker._settings_obj)
        try:
            training.estimate_parameters_using_expectation_maximisation(_rule_sql(rule))
        except Exception:  # EM failed on this rule's pairs: train on the others
            logger.debug("EM on %s failed", rule, exc_info=True)
            linker._settings_obj = before
        else:
            trained |= fields - set(rule)
    _settle(linker, u_max_pairs)
    return linker


# Below this many records there is too little to learn from: among 3 records, 1 pair in 3
# agrees on the surname because it is the duplicate, so sampled u would say agreement
# means nothing. Such inputs get a fixed model with textbook m/u values instead.
_SMALL = 50
_SMALL_PRIOR = 1e-3
# (m, u) by level label; the u of "exact" depends on how discriminating the field is.
_TEXTBOOK_LEVELS: dict[str, tuple[float, float]] = {
    "exact": (0.8, 0.01),
    "nickname": (0.05, 0.001),
    "Jaro-Winkler ≥ 0.92": (0.08, 0.003),
    "Jaro-Winkler ≥ 0.9": (0.08, 0.003),
    "Jaro-Winkler ≥ 0.88": (0.03, 0.005),
    "Jaro-Winkler ≥ 0.8": (0.03, 0.02),
    "Jaro-Winkler ≥ 0.7": (0.02, 0.05),
    "swapped with surname": (0.02, 1e-4),
    "swapped with given name": (0.02, 1e-4),
    "initial": (0.02, 0.01),
    "same mailbox name": (0.1, 0.001),
    "one typo": (0.05, 0.001),
    "2 typos": (0.02, 0.005),
    "different": (0.05, 0.9),
}
_TEXTBOOK_EXACT_U: dict[str, float] = {
    "given_name": 0.01,
    "surname": 0.005,
    "email": 1e-5,
    "phone": 1e-5,
    "date_of_birth": 1e-4,
    "street_number": 0.02,
    "address_1": 0.001,
    "address_2": 0.001,
    "suburb": 0.02,
    "postcode": 0.01,
    "state": 0.2,
    "organisation": 0.05,
    "name": 0.001,
    "domain": 0.001,
    "address": 0.001,
    "city": 0.05,
    "country": 0.5,
}


def _use_textbook_values(linker: Any) -> None:
    """Fixed m/u and prior for inputs too small to train on (see `_SMALL`)."""
    linker._settings_obj._probability_two_random_records_match = _SMALL_PRIOR
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            m, u = _TEXTBOOK_LEVELS.get(level.label_for_charts, (0.05, 0.01))
            if level.label_for_charts == "exact":
                u = _TEXTBOOK_EXACT_U.get(comparison.output_column_name, u)
            level.m_probability, level.u_probability = m, u
            # Term frequencies from a handful of records say nothing about the population.
            level._tf_adjustment_weight = 0.0


def _pairs_under(rows: list[dict[str, str | None]], rule: tuple[str, ...]) -> int:
    """How many pairs agree on every column of a plain equality rule."""
    groups: dict[tuple[str, ...], int] = {}
    for row in rows:
        key = tuple(row[column] or "" for column in rule)
        if all(key):
            groups[key] = groups.get(key, 0) + 1
    return sum(n * (n - 1) // 2 for n in groups.values())


def _linker(
    rows: list[dict[str, str | None]],
    present: list[str],
    comparisons: list[dict[str, Any]],
    blocking: list[tuple[str, ...]],
) -> Any:
    """An untrained splink linker over the rows in a private in-memory DuckDB."""
    import duckdb
    from splink import DuckDBAPI, Linker

    connection = duckdb.connect()
    # One thread: DuckDB's seeded sampling is only repeatable single-threaded.
    connection.execute("SET threads TO 1")
    db = DuckDBAPI(connection)
    table = db.register(
        {name: [row[name] for row in rows] for name in ["uid", *_helper_columns(present)]}
    )
    settings = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "uid",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [_rule_sql(rule) for rule in blocking],
        "retain_matching_columns": False,
        # Keeps each comparison's match weight (mw_<name>), from which evidence is read.
        "retain_intermediate_calculation_columns": True,
    }
    return Linker(table, settings, log_level=None)


def blocked_pairs(
    records: Sequence[Mapping[str, Any]], *, kind: Kind, id_field: str = "id"
) -> set[tuple[str, str]]:
    """The candidate pairs blocking lets through (to measure blocking recall)."""
    rows, present = prepare(records, kind=kind, id_field=id_field)
    comparisons = (
        _person_comparisons(present) if kind == "person" else _organisation_comparisons(present)
    )
    blocking = blocking_rules(kind, present, len(rows))
    if len(rows) < 2 or not comparisons or not blocking:
        return set()
    linker = _linker(rows, present, comparisons, blocking)
    try:
        table = linker.inference.compute_blocked_pairs_for_predict().as_duckdbpyrelation()
        return {(a, b) if a < b else (b, a) for a, b in _id_pairs(table)}
    finally:
        linker._db_api.duckdb_con.close()


def _id_pairs(table: Any) -> list[tuple[str, str]]:
    columns = table.columns
    # splink 5 names the id columns join_key_l/_r in blocked pairs, uid_l/_r elsewhere.
    left = next(c for c in columns if c in ("uid_l", "join_key_l"))
    right = next(c for c in columns if c in ("uid_r", "join_key_r"))
    return [(str(a), str(b)) for a, b in table.select(left, right).fetchall()]


def _settle(linker: Any, u_max_pairs: float) -> None:
    """Make the trained m and u usable everywhere, including levels training never saw.

    - A level no random pair reached gets u = 1 / pairs sampled (rarer than that).
    - Every m is raised to at least `_M_FLOOR`, then each comparison renormalised.
    - The surname's swap level gets weight 0: the swap is counted under given_name.
    """
    for comparison in linker._settings_obj.comparisons:
        levels = [level for level in comparison.comparison_levels if not level.is_null_level]
        for level in levels:
            if level.u_probability is None or float(level.u_probability) <= 0:
                level.u_probability = 1 / u_max_pairs
        raised = [max(float(level.m_probability or 0.0), _M_FLOOR) for level in levels]
        total = sum(raised)
        for level, m in zip(levels, raised, strict=True):
            level.m_probability = m / total
        for level in levels:
            if level.label_for_charts == _SWAP_COUNTED_ELSEWHERE:
                # Not exactly 1: the level is recognised by its weight, and 0 is "missing".
                level.m_probability = float(level.u_probability) * (1 + 1e-6)


def _helper_columns(present: list[str]) -> list[str]:
    """Model columns plus the helper columns their levels read."""
    columns = list(present)
    if "given_name" in present and "given_canon" not in columns:
        columns.append("given_canon")
    if "email" in present and "email_local" not in columns:
        columns.append("email_local")
    return columns


def _levels_by_weight(linker: Any) -> dict[str, list[tuple[float, str | None]]]:
    """Per comparison, each level's match weight and label (None for the missing level).

    Splink 5's predictions carry each comparison's match weight (`mw_<name>`), not the
    level index; the weight is written into the SQL from the same float, so it identifies
    the level exactly (the first, most specific, if two levels happen to weigh the same).
    """
    out: dict[str, list[tuple[float, str | None]]] = {}
    for comparison in linker._settings_obj.comparisons:
        out[comparison.output_column_name] = [
            (
                float(level._match_weight) if level._match_weight is not None else math.nan,
                None if level.is_null_level else level.label_for_charts,
            )
            for level in comparison.comparison_levels
        ]
    return out


def _level_at(levels: list[tuple[float, str | None]], weight: float | None) -> str | None:
    if weight is None:
        return None
    for level_weight, label in levels:
        if math.isclose(level_weight, weight, rel_tol=1e-9, abs_tol=1e-12):
            return label
    return None


def _trained_levels(linker: Any) -> dict[str, dict[str, dict[str, float | None]]]:
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for comparison in linker._settings_obj.comparisons:
        out[comparison.output_column_name] = {
            level.label_for_charts: {
                "m": _finite(level.m_probability),
                "u": _finite(level.u_probability),
            }
            for level in comparison.comparison_levels
            if not level.is_null_level
        }
    return out


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _prior(linker: Any) -> float:
    return float(linker._settings_obj._probability_two_random_records_match)


def _splink_version() -> str:
    import splink

    return str(splink.__version__)


def pairs_in_clusters(clusters: Sequence[Sequence[str]]) -> set[tuple[str, str]]:
    """Every (smaller id, larger id) pair inside the same cluster."""
    return {
        (a, b) if a < b else (b, a)
        for cluster in clusters
        for i, a in enumerate(cluster)
        for b in cluster[i + 1 :]
    }


@dataclass(frozen=True)
class PairScore:
    """Precision, recall and F1 of found pairs against the true ones."""

    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float


def score_pairs(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> PairScore:
    """Score pairs (each ordered smaller id first) against all true pairs."""
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return PairScore(hits, len(found) - hits, len(truth) - hits, precision, recall, f1)


def connected_components(edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Clusters of size ≥ 2 from undirected edges, each sorted, ordered by first member."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    for left, right in edges:
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    return sorted(sorted(group) for group in groups.values() if len(group) > 1)
