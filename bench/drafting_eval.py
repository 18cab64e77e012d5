"""Precision and recall of the drafting engine on annotated articles.

Runs ``incidents.drafting.propose`` on each article of a folder and compares its proposals
with the gold annotation (``bench/data/drafting_gold.json``): per article and overall, the
precision and recall of the proposals that carry a place and a figure, then the misses
and the false positives. A proposal matches a gold incident when its place is one of the
incident's gazetteer places and its figure (killed_min and killed_max) is one of the
incident's readings; each gold incident is matched at most once.

Proposals without a place (the articles' episode-wide totals) and proposals without a
figure (an event reported at a place with no count) are listed apart: the gold holds the
incidents an expert records with a place and a figure, so they are not scored as
incidents. Totals are checked against the gold's episode totals for information.

Articles are recognised by the SHA-256 of their text, so the folder may name them as it
likes; the texts themselves are not part of the repository.

    .venv/bin/python bench/drafting_eval.py --articles PATH/TO/ARTICLES
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from incidents.drafting import Proposal, propose  # noqa: E402
from incidents.seed import SEED_DIR, load_seed  # noqa: E402
from mapping.loader import load_gazetteer  # noqa: E402

GOLD = Path(__file__).resolve().parent / "data" / "drafting_gold.json"


def figure_matches(proposal: Proposal, readings: list[dict]) -> bool:
    return any(
        proposal.killed_min == r["killed_min"] and proposal.killed_max == r["killed_max"]
        for r in readings
    )


def total_matches(proposal: Proposal, total: dict) -> bool:
    if proposal.killed_min == total["killed_min"] and proposal.killed_max == total["killed_max"]:
        return True
    return total["killed_min"] in proposal.breakdown.values()


def describe(proposal: Proposal) -> str:
    place = proposal.place.slug if proposal.place else "no place"
    when = f"{proposal.date_start}..{proposal.date_end}" if proposal.date_start else "no date"
    return f"{place}, {proposal.figure_display}, {when}: “{proposal.quote[:90]}…”"


def ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def evaluate(folder: Path) -> int:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    texts: dict[str, tuple[Path, str]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            texts[digest] = (path, text)

    totals = {"matched": 0, "proposed": 0, "gold": 0, "dates": 0}
    missing = [a for a in gold["articles"] if a["sha256"] not in texts]
    for article in gold["articles"]:
        if article["sha256"] not in texts:
            continue
        path, text = texts[article["sha256"]]
        published = date.fromisoformat(article["published"])
        proposals = propose(text, published=published, language="en")
        scored = [p for p in proposals if p.place is not None and p.has_figure]
        unplaced = [p for p in proposals if p.place is None and p.has_figure]
        figureless = [p for p in proposals if not p.has_figure]
        gold_incidents = article["incidents"]
        matched: dict[int, Proposal] = {}
        false_positives: list[Proposal] = []
        for proposal in scored:
            for k, incident in enumerate(gold_incidents):
                if k in matched:
                    continue
                if proposal.place.slug in incident["places"] and figure_matches(
                    proposal, incident["figures"]
                ):
                    matched[k] = proposal
                    break
            else:
                false_positives.append(proposal)
        dates_agree = sum(
            1
            for k, proposal in matched.items()
            if proposal.date_start <= date.fromisoformat(gold_incidents[k]["date_end"])
            and proposal.date_end >= date.fromisoformat(gold_incidents[k]["date_start"])
        )
        name = article["publisher"] or "(no publisher)"
        print(f"\n== {path.name}: {name}, {article['source']}, published {published}")
        print(
            f"   precision {ratio(len(matched), len(scored)):.2f} "
            f"({len(matched)}/{len(scored)} proposals with a place and a figure), "
            f"recall {ratio(len(matched), len(gold_incidents)):.2f} "
            f"({len(matched)}/{len(gold_incidents)} gold incidents), "
            f"dates overlapping the gold's {dates_agree}/{len(matched)}"
        )
        for k, incident in enumerate(gold_incidents):
            if k not in matched:
                print(
                    f"   MISS  {incident['places'][0]} {incident['figures'][0]}: {incident['what']}"
                )
        for proposal in false_positives:
            print(f"   FALSE POSITIVE  {describe(proposal)}")
        found_totals = [
            t for t in article["episode_totals"] if any(total_matches(p, t) for p in unplaced)
        ]
        print(
            f"   not scored: {len(unplaced)} figures without a place "
            f"({len(found_totals)}/{len(article['episode_totals'])} of the gold's episode totals "
            f"among them), {len(figureless)} events at a place without a figure"
        )
        totals["matched"] += len(matched)
        totals["proposed"] += len(scored)
        totals["gold"] += len(gold_incidents)
        totals["dates"] += dates_agree

    print(
        f"\n== overall: precision {ratio(totals['matched'], totals['proposed']):.2f} "
        f"({totals['matched']}/{totals['proposed']}), "
        f"recall {ratio(totals['matched'], totals['gold']):.2f} "
        f"({totals['matched']}/{totals['gold']}), "
        f"dates overlapping {totals['dates']}/{totals['matched']}"
    )
    for article in missing:
        print(f"!! not found in {folder}: {article['source']} ({article['headline']})")
    return 1 if missing else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, required=True, help="folder of article texts")
    args = parser.parse_args()
    if not args.articles.is_dir():
        parser.error(f"{args.articles} is not a folder")
    call_command("migrate", verbosity=0)
    load_gazetteer()
    for path in sorted(SEED_DIR.glob("*.json")):  # the actors the engine looks for
        load_seed(path)
    sys.exit(evaluate(args.articles))


if __name__ == "__main__":
    main()
