"""Batch record linkage on FEBRL: ours beside a plain splink model, time and F1 each.

    python bench/linkage.py                 # dataset3 (5,000 records, 6,538 true pairs)
    python bench/linkage.py --all           # dataset1, dataset2 and dataset3
    python bench/linkage.py --out var/bench-linkage.json

Both run on the same records WITHOUT soc_sec_id (CRM data has no national id) and are
scored the same way, against ALL true pairs (pairs lost to blocking are misses):

- "clusters": the pairs implied by the clusters (connected components of the pairs at or
  above 0.5), which is what a batch merge acts on;
- "pairs": the scored pairs at or above 0.5 themselves.

"splink default" is what a careful first user of splink 5 would write: the comparison
library's usual comparisons at their default levels (NameComparison for names,
DateOfBirthComparison, Levenshtein for addresses, exact for numbers and codes), four
single-column blocking rules, the prior from a deterministic rule (recall 0.7), u by
random sampling (1e6 pairs, seeded), m by EM on two blocking rules, threshold 0.5.

Ours is `rapport.analytics.linkage.link_records(kind="person")` on the records mapped onto
a contact's fields (street number and address lines one street, suburb the city, state
the region); splink's default keeps FEBRL's own columns. Blocking recall (true
pairs among the candidates) is measured for ours. Times are for the whole run, training
included: wall-clock, and the process's CPU time (DuckDB's threads included), which is
the steadier figure on a shared machine. Ours runs DuckDB on one thread (for a repeatable
seed); splink's default uses every core.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FEBRL = ROOT.parent / "shared" / "data" / "febrl"
DATASETS = ("dataset1.csv", "dataset2.csv", "dataset3.csv")


def febrl(name: str) -> list[dict[str, Any]]:
    """FEBRL records as plain dicts (id = rec_id), without soc_sec_id."""
    with open(FEBRL / name, newline="") as handle:
        rows = list(csv.reader(handle))
    header = [column.strip() for column in rows[0]]
    records = []
    for row in rows[1:]:
        record: dict[str, Any] = {
            column: (value.strip() or None) for column, value in zip(header, row, strict=True)
        }
        record["id"] = record.pop("rec_id")
        del record["soc_sec_id"]
        records.append(record)
    return records


def as_contacts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FEBRL records in the engine's person shape, mapped as a contact import maps them."""
    out = []
    for r in records:
        street = " ".join(p for p in (r["street_number"], r["address_1"], r["address_2"]) if p)
        out.append(
            {
                "id": r["id"],
                "given_name": r["given_name"],
                "surname": r["surname"],
                "street": street or None,
                "city": r["suburb"],
                "postcode": r["postcode"],
                "region": r["state"],
                "country": "Australia",
                "date_of_birth": r["date_of_birth"],
            }
        )
    return out


def true_pairs(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    people: dict[str, list[str]] = {}
    for record in records:
        people.setdefault(record["id"].split("-")[1], []).append(record["id"])
    return {
        (a, b) if a < b else (b, a)
        for ids in people.values()
        for a, b in itertools.combinations(ids, 2)
    }


def splink_default(records: list[dict[str, Any]], seed: int = 0) -> list[tuple[str, str]]:
    """Pairs at or above 0.5 from a plain splink 5 model (see the module docstring)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    db = DuckDBAPI()
    table = db.register(records)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="id",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.ExactMatch("street_number"),
            cl.LevenshteinAtThresholds("address_1"),
            cl.LevenshteinAtThresholds("address_2"),
            cl.NameComparison("suburb"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ],
    )
    linker = Linker(table, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    rows = predictions.as_duckdbpyrelation().select("id_l", "id_r").fetchall()
    return [(a, b) if a < b else (b, a) for a, b in rows]


def _scores(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    from rapport.analytics.linkage import score_pairs

    score = score_pairs(found, truth)
    return {
        "precision": round(score.precision, 5),
        "recall": round(score.recall, 5),
        "f1": round(score.f1, 5),
        "false_positives": score.false_positives,
        "false_negatives": score.false_negatives,
    }


def measure(name: str, seed: int = 0) -> dict[str, Any]:
    """Ours and splink's default on one FEBRL file: seconds, and scores by clusters and pairs."""
    import splink.comparison_library  # noqa: F401 - imports are not linkage: load them first

    from rapport.analytics.linkage import (
        blocked_pairs,
        connected_components,
        link_records,
        pairs_in_clusters,
    )

    records = febrl(name)
    truth = true_pairs(records)

    contacts = as_contacts(records)
    start, cpu = time.perf_counter(), time.process_time()
    linkage = link_records(contacts, kind="person", seed=seed)
    ours_seconds, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
    ours_pairs = {(p.left_id, p.right_id) for p in linkage.pairs if not p.not_sure}
    candidates = blocked_pairs(contacts, kind="person")

    start, cpu = time.perf_counter(), time.process_time()
    default_pairs = splink_default(records, seed=seed)
    default_seconds, default_cpu = time.perf_counter() - start, time.process_time() - cpu
    default_clusters = connected_components(default_pairs)

    return {
        "dataset": name,
        "records": len(records),
        "true_pairs": len(truth),
        "ours": {
            "seconds": round(ours_seconds, 2),
            "cpu_seconds": round(ours_cpu, 2),
            "clusters": _scores(pairs_in_clusters(linkage.clusters), truth),
            "pairs": _scores(ours_pairs, truth),
            "candidate_pairs": len(candidates),
            "blocking_recall": round(len(candidates & truth) / len(truth), 5),
        },
        "splink_default": {
            "seconds": round(default_seconds, 2),
            "cpu_seconds": round(default_cpu, 2),
            "clusters": _scores(pairs_in_clusters(default_clusters), truth),
            "pairs": _scores(set(default_pairs), truth),
        },
    }


def run(datasets: tuple[str, ...] = ("dataset3.csv",), seed: int = 0) -> dict[str, Any]:
    """Measure each data set and print a table; returns {"linkage": [...]}."""
    sys.path.insert(0, str(ROOT / "src"))
    results = [measure(name, seed) for name in datasets]
    print_table(results)
    return {"linkage": results}


def print_table(results: list[dict[str, Any]]) -> None:
    header = (
        f"{'dataset':<13} {'model':<15} {'seconds':>7} {'cpu s':>5} {'F1 clusters':>11} {'P':>7} {'R':>7}"
        f" {'F1 pairs':>8} {'P':>7} {'R':>7} {'block R':>7}"
    )
    print("\n" + header)
    print("-" * len(header))
    for result in results:
        for model in ("ours", "splink_default"):
            run_ = result[model]
            c, p = run_["clusters"], run_["pairs"]
            block = f"{run_['blocking_recall']:.4f}" if "blocking_recall" in run_ else ""
            print(
                f"{result['dataset']:<13} {model:<15} {run_['seconds']:>7.1f}"
                f" {run_['cpu_seconds']:>5.1f} {c['f1']:>11.4f}"
                f" {c['precision']:>7.4f} {c['recall']:>7.4f} {p['f1']:>8.4f}"
                f" {p['precision']:>7.4f} {p['recall']:>7.4f} {block:>7}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--all", action="store_true", help="all three FEBRL sets")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = run(DATASETS if args.all else ("dataset3.csv",), seed=args.seed)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
