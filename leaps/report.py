"""``python -m leaps.report DIR [DIR ...]``: search results (``results.json``
files under the sweep directories) -> the paper-style markdown table, one per
evaluation protocol found (the registry in leaps.karel.protocols), each
search column followed by its best programs' return on held-out test worlds
(``test_return``; ``python -m leaps.search.rescore DIR`` adds it to runs
made before searches recorded it), and a plot of the best return against
program evaluations.

    python -m leaps.report multirun/2026-11-24_13-00-00 --out results.md
    python -m leaps.report --spread sem results/hc_first_carvalho2024   # ± standard error, as Carvalho et al.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from leaps.karel import protocols

TEST_SUFFIX = ": test"
"""A column of held-out test returns is headed by its search column's label and this."""
SPREADS = {
    "std": "std over seeds",
    "sem": "standard error of the mean over seeds (std with ddof=1 / sqrt(n), Carvalho et al.'s statistic)",
}
"""What the ``±`` of a table cell can be (``--spread``); std is the LEAPS paper's."""
FINAL_SUFFIX = ": final"
"""A column of the returns of the program a method ends on (``final_return``:
CEM's mean decoded greedily at its last iteration, what the original LEAPS
reports), headed by its search column's label and this."""


def protocol_of(result: dict) -> str:
    """The run's protocol (runs written before protocols existed are LEAPS runs)."""
    return result.get("protocol") or protocols.DEFAULT


def task_order(protocol: str) -> list[str]:
    """The protocol's tasks in its paper's table order (the published
    returns' order, then the rest of the registry's)."""
    spec = protocols.get(protocol)
    order = list(spec.reference_returns)
    return order + [t for t in spec.task_names() if t not in order]


def protocol_note(protocol: str, spread: str = "std") -> str:
    """What the protocol's table shows (printed above it)."""
    spec = protocols.get(protocol)
    return (f"{spec.summary}. Cells: mean ± {SPREADS[spread]} of the best program's return on the search's worlds "
            f"(n runs, mean programs evaluated, mean wall time); columns headed `...{TEST_SUFFIX}`: the same "
            f"programs on {spec.test_worlds} unseen worlds (test_return); columns headed `...{FINAL_SUFFIX}`: the "
            f"return of the program the method ends on (final_return: CEM's mean decoded greedily at its last "
            f"iteration, the statistic the original LEAPS code reports).")


def sampled_population(result: dict) -> bool:
    """A CEM run that sampled its population's programs: ``population_decoding=sample``, or made before the
    setting existed (2026-11-28), when CEM always sampled. A result without its searcher's settings says nothing."""
    settings = (result.get("config") or {}).get("searcher")
    if result["searcher"] != "cem" or not settings:
        return False
    return settings.get("population_decoding", "sample") == "sample"


def run_label(result: dict) -> str:
    """A table column: the searcher, its variant if it has one, ``[sampled]`` for a CEM that sampled its
    population's programs, its stage-1 model, CEM restarts if on, worlds redrawn if they were,
    any call budget other than the protocol's (``task.call_budget``) and any
    evaluation budget given (``eval_budget``), so that a table mixing budgets
    says which cell had which."""
    config = result.get("config") or {}
    searcher = config.get("searcher") or {}
    label = result["searcher"]
    variant = searcher.get("variant")
    if variant is not None:  # hill climbing's: runs made before variants existed are best_improvement, unlabelled
        label += f" [{variant}]"
    if sampled_population(result):
        label += " [sampled]"
    restart_after = searcher.get("restart_after")
    if restart_after is not None:
        label += f" + restarts/{restart_after}"
    redraw_every = (config.get("protocol") or {}).get("redraw_every")
    label += f" [worlds redrawn/{redraw_every}]" if redraw_every is not None else ""
    label += f" ({result['model']})" if result.get("model") else ""
    budget = (config.get("task") or {}).get("call_budget")
    label += f" [{budget:,} calls]" if budget is not None else ""
    eval_budget = config.get("eval_budget")  # null: the default, CEM's worst case on the task
    return label + (f" [{int(eval_budget):,}-eval budget]" if eval_budget is not None else "")


def load_results(dirs: list[Path]) -> list[dict]:
    results = []
    for d in dirs:
        if not d.exists():
            raise SystemExit(f"error: {d} does not exist")
        for path in sorted(d.rglob("results.json")):
            try:
                results.append(json.loads(path.read_text()))
            except json.JSONDecodeError:
                print(f"warning: skipping unreadable {path}")
    return results


def cut_at_evaluations(result: dict, budget: int) -> dict | None:
    """The run as a search with an ``eval_budget`` of ``budget`` would have
    ended: its best within its first ``budget`` evaluations (``best_trace``).
    Exact for searches whose course does not depend on their budget (every
    search here: the budget only stops them), so a 10^6-evaluation sweep also
    gives the 10^5 column. Where the best came later, the program behind the
    cut best is not recorded: its test and final returns and generalisation
    are dropped (and their column's cell shows "-"), and so is the wall time.
    None if the run had scored nothing by then, or has no trace."""
    config = result.get("config") or {}
    if config.get("eval_budget") is not None and int(config["eval_budget"]) > budget:  # same column as the cut runs
        result = {**result, "config": {**config, "eval_budget": budget}}
    if result["evaluations"] <= budget:  # it ended by then, as it would have with that budget
        return result
    trace = result.get("best_trace")
    within = [(n, value) for n, value in trace or [] if n <= budget]
    if not within:
        return None
    cut = {**result, "evaluations": budget, "best_trace": within, "best_return": within[-1][1],
           "wall_time_s": None, "converged": False, "config": {**config, "eval_budget": budget}}
    if len(within) < len(trace):
        cut.update(cut_before_best=True, best_program=None, best_program_pretty=None, best_raw_return=None,
                   test_return=None, final_return=None, final_program=None, evaluations_to_best=within[-1][0],
                   generalisation={})
    return cut


def apply_options(results: list[dict], options: argparse.Namespace) -> list[dict]:
    """The command line's changes to the runs before any table (``--at-evaluations``)."""
    budget = getattr(options, "at_evaluations", None)
    if budget is None:
        return results
    kept = [c for c in (cut_at_evaluations(r, budget) for r in results) if c is not None]
    if len(kept) < len(results):
        untraced = sum(r["evaluations"] > budget and not r.get("best_trace") for r in results)
        print(f"warning: --at-evaluations {budget:,} leaves out {len(results) - len(kept)} of {len(results)} runs "
              f"({untraced} without a best_trace: searches made before it was recorded, or neural policies; "
              f"the rest had scored nothing by then)",
              file=sys.stderr)
    return kept


def _mean_spread(values: list[float], spread: str = "std") -> str:
    """``mean ± spread`` (one of SPREADS); a single run's standard error is shown as 0."""
    array = np.array(values, dtype=float)
    n = len(array)
    half = array.std() if spread == "std" else (array.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0)
    return f"{array.mean():.2f} ± {half:.2f}"


def _optional_cell(runs: list[dict], key: str, spread: str = "std") -> str:
    """Mean ± spread of ``key`` over the runs that recorded it (their count when not all did); "-" where
    ``--at-evaluations`` cut some runs' best short of the recorded program (the runs left would be those whose
    best came early, a biased subset)."""
    values = [r[key] for r in runs if r.get(key) is not None]
    if not values or any(r.get("cut_before_best") for r in runs):
        return "-"
    return _mean_spread(values, spread) + ("" if len(values) == len(runs) else f" (n={len(values)})")


def table(results: list[dict], protocol: str = protocols.DEFAULT, spread: str = "std", published: bool = True) -> str:
    """The markdown table of ``protocol``'s runs among ``results``, with the
    paper's numbers beside where the protocol has them (and other published
    numbers where the table has runs to compare them with), and a test column
    after every search column whose runs recorded ``test_return``. ``spread``:
    what follows each mean's ``±`` (SPREADS); ``published=False`` leaves the
    published numbers out (runs cut by ``--at-evaluations`` do not share their budget)."""
    if spread not in SPREADS:
        raise ValueError(f"spread must be one of {', '.join(SPREADS)}, got {spread!r}")
    spec = protocols.get(protocol)
    reference = spec.reference_returns if published else {}
    baselines = spec.published_baselines if published else {}
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in results:
        if protocol_of(r) != protocol:
            continue
        label = run_label(r)
        groups[(r["task"], label)].append(r)
    labels = sorted({label for _, label in groups})
    tested = {label for (_, label), runs in groups.items() if any(r.get("test_return") is not None for r in runs)}
    ended = {label for (_, label), runs in groups.items() if any(r.get("final_return") is not None for r in runs)}
    columns = [label + suffix for label in labels
               for suffix, shown in (("", True), (FINAL_SUFFIX, label in ended), (TEST_SUFFIX, label in tested))
               if shown]
    order = task_order(protocol)
    tasks = [t for t in order if any(t == task for task, _ in groups)]
    tasks += sorted({task for task, _ in groups} - set(tasks))
    papers = ([("LEAPS (paper)", reference)] if reference else []) + [
        (name, returns) for name, (prefix, returns) in baselines.items()
        if any(label == prefix or label.startswith(prefix + " [") for label in labels)]  # not latent HC's "... (model)"
    header = "| " + " | ".join(["task", *(name for name, _ in papers), *columns]) + " |"
    lines = [header, "|" + "---|" * (1 + len(papers) + len(columns))]
    for task in tasks:
        cells = [task] + [f"{returns[task]:.2f}" if task in returns else "-" for _, returns in papers]
        for label in labels:
            runs = groups.get((task, label), [])
            if not runs:
                cells += ["-"] * (1 + (label in ended) + (label in tested))
                continue
            evals = np.mean([r["evaluations"] for r in runs])
            walls = [r["wall_time_s"] for r in runs]
            wall = "" if None in walls else f", {np.mean(walls):.0f} s"  # None: cut by --at-evaluations
            returns = _mean_spread([r["best_return"] for r in runs], spread)
            cells.append(f"{returns} (n={len(runs)}, {evals:,.0f} evals{wall})")
            for key, shown in (("final_return", label in ended), ("test_return", label in tested)):
                if shown:
                    cells.append(_optional_cell(runs, key, spread))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


FRACTIONS = (0.5, 0.9, 1.0)
"""Sample efficiency: the evaluations a run needed to first reach these fractions of the task's maximum return."""


def evaluations_to_reach(result: dict, fraction: float) -> float:
    """Program evaluations after which the run's best return first reached
    ``fraction`` of the task's maximum (``best_trace``); inf if it never did."""
    threshold = fraction * float(result.get("max_return", 1.0))
    return next((float(n) for n, value in result["best_trace"] if value >= threshold), np.inf)


def _evaluations(value: float) -> str:
    return "never" if not np.isfinite(value) else f"{value:,.0f}"


def sample_efficiency_table(results: list[dict], protocol: str = protocols.DEFAULT) -> str | None:
    """Per task and search column: the median over seeds of the evaluations
    to reach 50%, 90% and 100% of the task's maximum (runs that never reach
    it count as never: a median of "never" means half the runs or more did not
    get there), how many runs reached the maximum, and the median evaluations
    at which runs first saw their final best. Runs made before searches
    recorded ``best_trace`` are left out."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in results:
        if protocol_of(r) == protocol and r.get("best_trace") is not None:
            groups[(r["task"], run_label(r))].append(r)
    if not groups:
        return None
    order = task_order(protocol)
    keys = sorted(groups, key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k))
    heads = [f"{f:.0%} of max" for f in FRACTIONS]
    lines = ["| task | search | " + " | ".join(heads) + " | reached max | final best at |",
             "|" + "---|" * (4 + len(FRACTIONS))]
    for task, label in keys:
        runs = groups[(task, label)]
        cells = [_evaluations(float(np.median([evaluations_to_reach(r, f) for r in runs]))) for f in FRACTIONS]
        reached = sum(np.isfinite(evaluations_to_reach(r, 1.0)) for r in runs)
        final = [r["best_trace"][-1][0] for r in runs if r["best_trace"]]
        cells += [f"{reached}/{len(runs)}", _evaluations(float(np.median(final))) if final else "-"]
        lines.append(f"| {task} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def generalisation_table(results: list[dict]) -> str | None:
    """Mean ± std over seeds of the best programs' returns on other grid sizes
    (``generalisation`` in results.json), one row per task and size."""
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in results:  # only runs of a protocol with grid sizes have entries
        label = run_label(r)
        for size, value in (r.get("generalisation") or {}).items():
            groups[(r["task"], size, label)].append(value)
    if not groups:
        return None
    labels = sorted({label for _, _, label in groups})
    order = task_order(protocols.DEFAULT)
    rows = sorted({(task, size) for task, size, _ in groups},
                  key=lambda ts: (order.index(ts[0]) if ts[0] in order else len(order), ts))
    lines = ["| task | grid | " + " | ".join(labels) + " |", "|" + "---|" * (2 + len(labels))]
    for task, size in rows:
        cells = [task, size]
        for label in labels:
            values = np.array(groups.get((task, size, label), []))
            cells.append(f"{values.mean():.2f} ± {values.std():.2f} (n={len(values)})" if len(values) else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_histories(dirs: list[Path], at_evaluations: int | None = None) -> list[tuple[dict, list[dict]]]:
    """Each run's best return against evaluations: from ``best_trace`` in
    results.json (every improvement, then the run's end), else from its
    history.json (runs made before traces; sweeps in results/ keep neither);
    ``at_evaluations``: traced runs cut there (:func:`cut_at_evaluations`)."""
    runs = []
    for d in dirs:
        for path in sorted(d.rglob("results.json")):
            result = json.loads(path.read_text())
            if at_evaluations is not None and result.get("best_trace"):
                result = cut_at_evaluations(result, at_evaluations)
                if result is None:
                    continue
            if result.get("best_trace"):
                trace = [{"evaluations": n, "best_return": value} for n, value in result["best_trace"]]
                runs.append((result, trace + [{"evaluations": result["evaluations"],
                                               "best_return": result["best_return"]}]))
                continue
            history_path = path.with_name("history.json")
            if history_path.exists():
                runs.append((result, json.loads(history_path.read_text())["history"]))
    return runs


PANELS_PER_ROW = 5
"""Task panels side by side in the plot before it starts a new row."""


def plot(dirs: list[Path], out: Path, log_evaluations: bool = False, at_evaluations: int | None = None) -> Path | None:
    """Best return against program evaluations: mean and min-max over seeds,
    one panel per task, one line per searcher; ``log_evaluations``: a log
    scale, for budgets (10^6) far beyond where the easy tasks are solved;
    ``at_evaluations``: every run cut there."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [(r, h) for r, h in load_histories(dirs, at_evaluations) if h and "evaluations" in h[0]]
    if not runs:
        return None
    order = [t for p in protocols.names() for t in task_order(p)]
    tasks = list(dict.fromkeys(t for t in order if any(r["task"] == t for r, _ in runs)))
    tasks += sorted({r["task"] for r, _ in runs} - set(tasks))
    several = len({protocol_of(r) for r, _ in runs}) > 1
    low = 0.0
    cols = min(len(tasks), PANELS_PER_ROW)
    rows = -(-len(tasks) // cols)
    fig, grid_axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    axes = list(grid_axes.flat)[: len(tasks)]
    for ax in list(grid_axes.flat)[len(tasks):]:
        ax.set_visible(False)
    for ax, task in zip(axes, tasks, strict=True):
        by_searcher: dict[str, list[list[dict]]] = defaultdict(list)
        for r, h in runs:
            if r["task"] == task:
                by_searcher[run_label(r) + (f" [{protocol_of(r)}]" if several else "")].append(h)
        for searcher, histories in sorted(by_searcher.items()):
            end = max(h[-1]["evaluations"] for h in histories)
            grid = np.geomspace(1, max(end, 2), 200) if log_evaluations else np.linspace(0, end, 200)
            curves = []
            for h in histories:
                evals = np.array([x["evaluations"] for x in h])
                best = np.array([x["best_return"] for x in h])
                idx = np.searchsorted(evals, grid, side="right") - 1
                curves.append(np.where(idx >= 0, best[np.clip(idx, 0, None)], 0.0))
            curves = np.clip(np.array(curves), -1.0, None)  # -inf: only invalid programs so far (carvalho2024)
            low = min(low, float(curves.min()))
            ax.plot(grid, curves.mean(axis=0), label=searcher)
            ax.fill_between(grid, curves.min(axis=0), curves.max(axis=0), alpha=0.2)
        for name in sorted({protocol_of(r) for r, _ in runs if r["task"] == task}):
            published = protocols.get(name).reference_returns
            if task in published:
                ax.axhline(published[task], color="grey", linestyle="--", linewidth=1, label="LEAPS (paper)")
        ax.set_title(task)
        ax.set_xlabel("program evaluations")
        if log_evaluations:
            ax.set_xscale("log")
    for ax in axes:
        ax.set_ylim(low - 0.05 if low < 0 else 0, 1.05)
    for row in grid_axes:
        row[0].set_ylabel("best return")
    axes[-1].legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def build_parser() -> argparse.ArgumentParser:
    """The command line (also read by tests/test_readme_results.py to rerun the README's commands)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--spread", choices=tuple(SPREADS), default="std",
                        help="what follows each mean's ±: " + "; ".join(f"{k}: {v}" for k, v in SPREADS.items()))
    parser.add_argument("--out", type=Path, help="also write the table to this markdown file")
    parser.add_argument("--plot", type=Path, help="where to write the return-vs-evaluations plot "
                        "(default: returns.png in the first directory)")
    parser.add_argument("--log-evaluations", action="store_true", help="plot program evaluations on a log scale")
    parser.add_argument("--at-evaluations", type=_budget, metavar="N",
                        help="every run as if its eval_budget had been N: its best within its first N evaluations "
                        "(best_trace), so sweeps of different budgets compare like with like")
    return parser


def _budget(text: str) -> int:
    value = int(float(text))
    if value < 1 or value != float(text):
        raise argparse.ArgumentTypeError(f"must be a whole number of evaluations >= 1, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    results = apply_options(load_results(args.dirs), args)
    if not results:
        raise SystemExit(f"error: no results.json under {', '.join(map(str, args.dirs))}")
    found = {protocol_of(r) for r in results}
    unknown = sorted(found - set(protocols.names()))
    if unknown:
        raise SystemExit(f"error: results of unknown protocols {', '.join(unknown)}")
    published = args.at_evaluations is None
    text = "\n\n".join(f"{protocol_note(p, args.spread)}\n\n{table(results, p, args.spread, published)}"
                       for p in protocols.names() if p in found)
    for p in protocols.names():
        efficiency = sample_efficiency_table(results, p) if p in found else None
        if efficiency is not None:
            text += (f"\n\nSample efficiency ({p}): median program evaluations over seeds to first reach each "
                     f"fraction of the task's maximum return (never: not reached by half the runs or more):\n\n"
                     + efficiency)
    general = generalisation_table(results)
    if general is not None:
        text += "\n\nThe best programs on larger grids (same seeds, same call budget):\n\n" + general
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    figure = plot(args.dirs, args.plot or args.dirs[0] / "returns.png", args.log_evaluations, args.at_evaluations)
    if figure is not None:
        print(f"\nplot: {figure}")


if __name__ == "__main__":
    main()
