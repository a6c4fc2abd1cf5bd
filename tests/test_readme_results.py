"""The README's results tables are what `python -m leaps.report` prints from
the committed sweeps in results/: every table row the command given above a
table produces must be in the README, so the tables cannot drift from the
data behind them."""

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from leaps import report

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
REPORT_COMMAND = re.compile(r"`python -m leaps\.report\s+((?:(?:--spread \w+|--at-evaluations \d+|results/\S+)\s*)+)`")
COMMANDS = sorted({" ".join(c.split()) for c in REPORT_COMMAND.findall(README)})


def test_the_results_section_gives_report_commands():
    assert len(COMMANDS) >= 4, COMMANDS


@pytest.mark.parametrize("args", COMMANDS)
def test_readme_tables_equal_the_report_of_the_committed_sweeps(args):
    options = report.build_parser().parse_args(shlex.split(args))
    results = report.apply_options(report.load_results([ROOT / d for d in options.dirs]), options)
    assert results, f"no results.json under {args}"
    published = options.at_evaluations is None
    protocols_found = sorted({report.protocol_of(r) for r in results})
    tables = [report.table(results, p, options.spread, published) for p in protocols_found]
    general = report.generalisation_table(results)
    if general and general.splitlines()[0] in README:  # the larger-grid table, where the README shows it
        tables.append(general)
    for protocol in sorted({report.protocol_of(r) for r in results}):  # sample-efficiency rows the README shows
        efficiency = report.sample_efficiency_table(results, protocol) or ""
        tables += [row for row in efficiency.splitlines()[2:] if "|".join(row.split("|")[:3]) + "|" in README]
    rows = [line for t in tables for line in t.splitlines()]
    missing = [line for line in rows if line.startswith("| ") and line not in README]
    assert not missing, f"README rows differ from `python -m leaps.report {args}`:\n" + "\n".join(missing)


def test_readme_model_cards_equal_the_shipped_configs():
    """The model-card table is `python -m leaps.models.cards`: rows and notes from the shipped config.json files."""
    from leaps.models.cards import card_table

    lines = [line for line in card_table().splitlines() if line.startswith(("| `", "- `"))]
    assert len(lines) >= 8  # four models, a row and a note each
    missing = [line for line in lines if line not in README]
    assert not missing, "README model cards differ from `python -m leaps.models.cards`:\n" + "\n".join(missing)


CURVES_COMMAND = re.compile(r"`python -m leaps\.models\.curves\s+((?:(?:--every \d+|--columns \S+|results/\S+)\s*)+)`")


def test_readme_training_curves_equal_the_committed_logs():
    """Each training-curve table is `python -m leaps.models.curves` over the logs committed in results/training/."""
    from leaps.models.curves import main

    commands = sorted({" ".join(c.split()) for c in CURVES_COMMAND.findall(README)})
    assert commands, "the README shows no training curve from results/training/"
    for args in commands:
        argv = [str(ROOT / a) if a.startswith("results/") else a for a in shlex.split(args)]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(argv) == 0
        missing = [line for line in out.getvalue().splitlines() if line not in README]
        assert not missing, f"README rows differ from `python -m leaps.models.curves {args}`:\n" + "\n".join(missing)
