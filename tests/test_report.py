"""leaps.report on fake sweep directories (no search is run)."""

import json
from pathlib import Path

import pytest
from PIL import Image

from leaps import report


def fake_run(root: Path, task: str, searcher: str, seed: int, best: float, evaluations: int, wall: float,
             model: str | None = None, history: bool = True) -> None:
    d = root / task / searcher / f"seed{seed}"
    d.mkdir(parents=True)
    results = {"task": task, "searcher": searcher, "seed": seed, "model": model, "best_return": best,
               "best_raw_return": best + 0.1, "evaluations": evaluations, "wall_time_s": wall,
               "best_program": "DEF run m( move m)"}
    (d / "results.json").write_text(json.dumps(results))
    if history:
        steps = [{"iteration": i + 1, "evaluations": (i + 1) * evaluations // 4, "best_return": best * (i + 1) / 4}
                 for i in range(4)]
        (d / "history.json").write_text(json.dumps({"history": steps}))


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    root = tmp_path / "sweep"
    for seed, best in enumerate([0.2, 0.4, 0.6]):
        fake_run(root, "harvester", "random", seed, best, 1000 + 100 * seed, 10.0)
    for seed, best in enumerate([1.0, 1.0]):
        fake_run(root, "maze", "cem", seed, best, 170, 4.0, model="leaps")
    fake_run(root, "maze", "hill_climbing", 0, 0.5, 500, 2.0)
    return root


def rows(text: str) -> dict[str, list[str]]:
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and not line.startswith("|---"):
            out[cells[0]] = cells[1:]
    return out


def test_table_mean_std_published_numbers_and_order(sweep):
    text = report.table(report.load_results([sweep]))
    table = rows(text)
    header = table["task"]
    assert header == ["LEAPS (paper)", "cem (leaps)", "hill_climbing", "random"]
    assert list(table)[1:] == ["maze", "harvester"]  # the paper's task order
    maze, harvester = table["maze"], table["harvester"]
    assert maze[0] == "1.00" and harvester[0] == "0.45"
    assert maze[1].startswith("1.00 ± 0.00 (n=2, 170 evals, 4 s)")
    assert maze[3] == "-" and harvester[1] == "-"
    # population std of 0.2, 0.4, 0.6 = 0.163
    assert harvester[3] == "0.40 ± 0.16 (n=3, 1,100 evals, 10 s)"


def test_standard_error_spread(sweep, tmp_path, capsys):
    results = report.load_results([sweep])
    harvester = rows(report.table(results, spread="sem"))["harvester"]
    # returns 0.2, 0.4, 0.6: sample std 0.2, standard error 0.2 / sqrt(3) = 0.115
    assert harvester[3] == "0.40 ± 0.12 (n=3, 1,100 evals, 10 s)"
    with pytest.raises(ValueError, match="spread must be one of std, sem"):
        report.table(results, spread="iqr")
    report.main([str(sweep), "--spread", "sem", "--plot", str(tmp_path / "p.png")])
    assert "standard error of the mean" in capsys.readouterr().out


def test_the_plot_wraps_its_panels_and_can_use_a_log_scale(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    tasks = ["stairclimber", "maze", "topoff", "fourcorner", "harvester", "cleanhouse", "doorkey"]
    history = [{"evaluations": 1, "best_return": 0.1}, {"evaluations": 1000, "best_return": 0.9}]
    monkeypatch.setattr(report, "load_histories", lambda dirs, at_evaluations=None: [
        ({"task": t, "searcher": "random", "model": None, "protocol": "carvalho2024"}, history) for t in tasks])
    shapes = []
    real_subplots = plt.subplots
    monkeypatch.setattr(plt, "subplots", lambda r, c, **kw: shapes.append((r, c)) or real_subplots(r, c, **kw))
    scales = []
    monkeypatch.setattr(plt.Axes, "set_xscale", lambda ax, scale, **kw: scales.append(scale))
    assert report.plot([tmp_path], tmp_path / "p.png", log_evaluations=True).exists()
    assert shapes == [(2, report.PANELS_PER_ROW)] and scales == ["log"] * len(tasks)


def test_cli_writes_markdown_and_plot(sweep, tmp_path, capsys):
    out = tmp_path / "table.md"
    report.main([str(sweep), "--out", str(out), "--plot", str(tmp_path / "p.png")])
    printed = capsys.readouterr().out
    assert "| harvester | 0.45 |" in printed and "| harvester | 0.45 |" in out.read_text()
    assert Image.open(tmp_path / "p.png").size[0] > 100


def test_plot_skips_runs_without_history(tmp_path):
    fake_run(tmp_path, "maze", "given", 0, 1.0, 1, 0.1, history=False)
    assert report.plot([tmp_path], tmp_path / "p.png") is None
    assert "| maze | 1.00 | 1.00 ± 0.00" in report.table(report.load_results([tmp_path]))


def test_unknown_task_and_unreadable_results(tmp_path, capsys):
    fake_run(tmp_path, "mytask", "random", 0, 0.3, 10, 1.0)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "results.json").write_text("{not json")
    results = report.load_results([tmp_path])
    assert len(results) == 1 and "skipping unreadable" in capsys.readouterr().out
    assert "| mytask | - | 0.30 ± 0.00" in report.table(results)


def test_missing_or_empty_directory_is_one_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="does not exist"):
        report.main([str(tmp_path / "nope")])
    with pytest.raises(SystemExit, match="no results.json"):
        report.main([str(tmp_path)])


def test_generalisation_table_from_results(tmp_path):
    results = [
        {"task": "harvester", "searcher": "cem", "model": "leaps", "generalisation": {"100x100": g}}
        for g in (0.2, 0.4)
    ] + [{"task": "cleanhouse", "searcher": "cem", "model": "leaps", "generalisation": {}}]
    table = rows(report.generalisation_table(results))
    assert table["task"] == ["grid", "cem (leaps)"]
    assert table["harvester"] == ["100x100", "0.30 ± 0.10 (n=2)"]
    assert "cleanhouse" not in table  # a fixed-size task has no generalisation entry
    assert report.generalisation_table([{"task": "maze", "searcher": "random"}]) is None


def test_one_table_per_protocol(tmp_path, capsys):
    fake_run(tmp_path / "a", "maze", "random", 0, 1.0, 100, 1.0)
    fake_run(tmp_path / "b", "snake", "hill_climbing", 0, -0.2, 500, 3.0)
    fake_run(tmp_path / "b", "maze", "hill_climbing", 0, 0.5, 500, 3.0)
    for path in (tmp_path / "b").rglob("results.json"):
        path.write_text(json.dumps({**json.loads(path.read_text()), "protocol": "carvalho2024"}))
    results = report.load_results([tmp_path])
    carvalho = rows(report.table(results, "carvalho2024"))
    assert carvalho["task"] == ["hill_climbing"]  # no LEAPS paper column
    assert list(carvalho)[1:] == ["maze", "snake"] and carvalho["snake"][0].startswith("-0.20 ± 0.00 (n=1")
    assert list(rows(report.table(results)))[1:] == ["maze"]  # runs without a protocol are LEAPS runs
    report.main([str(tmp_path), "--plot", str(tmp_path / "p.png")])
    printed = capsys.readouterr().out
    assert printed.index("LEAPS protocol") < printed.index("carvalho2024 protocol")


def test_a_raised_call_budget_is_named_in_the_column():
    base = {"task": "maze", "searcher": "hill_climbing", "model": None, "best_return": 1.0, "evaluations": 10,
            "wall_time_s": 1.0}
    results = [{**base, "config": {"task": {"call_budget": budget}}} for budget in (10000, None)]
    table = rows(report.table(results))
    assert table["task"] == ["LEAPS (paper)", "hill_climbing", "hill_climbing [10,000 calls]"]


def test_a_given_evaluation_budget_is_named_in_the_column():
    base = {"task": "maze", "searcher": "cebs", "model": "leaps", "best_return": 1.0, "evaluations": 10,
            "wall_time_s": 1.0}
    results = [{**base, "config": {"eval_budget": budget}} for budget in (100000, 1000000, None)]
    table = rows(report.table(results))
    assert table["task"][1:] == ["cebs (leaps)", "cebs (leaps) [1,000,000-eval budget]",
                                 "cebs (leaps) [100,000-eval budget]"]


def test_cem_restarts_are_named_in_the_column():
    base = {"task": "maze", "searcher": "cem", "model": "leaps", "best_return": 1.0, "evaluations": 10,
            "wall_time_s": 1.0}
    results = [{**base, "config": {"searcher": {"restart_after": n, "population_decoding": "greedy"}}}
               for n in (50, None)]
    assert rows(report.table(results))["task"] == ["LEAPS (paper)", "cem (leaps)", "cem + restarts/50 (leaps)"]


def test_test_returns_get_a_column_beside_the_search_return(tmp_path):
    base = {"task": "maze", "model": None, "evaluations": 10, "wall_time_s": 1.0}
    results = [{**base, "searcher": "hill_climbing", "best_return": 1.0, "test_return": t} for t in (0.8, 0.9)]
    results += [{**base, "searcher": "random", "best_return": 0.5}]  # recorded before test returns existed
    table = rows(report.table(results))
    assert table["task"] == ["LEAPS (paper)", "hill_climbing", "hill_climbing: test", "random"]
    assert table["maze"][1:] == ["1.00 ± 0.00 (n=2, 10 evals, 1 s)", "0.85 ± 0.05", "0.50 ± 0.00 (n=1, 10 evals, 1 s)"]
    results.append({**base, "searcher": "hill_climbing", "best_return": 1.0})  # one run of three lacks it
    assert rows(report.table(results))["maze"][2] == "0.85 ± 0.05 (n=2)"


def test_the_programs_methods_end_on_get_a_column_between_search_and_test():
    base = {"task": "maze", "model": "leaps", "searcher": "cem", "evaluations": 10, "wall_time_s": 1.0}
    results = [{**base, "best_return": 1.0, "final_return": f, "test_return": 0.9} for f in (0.2, 0.6)]
    results.append({**base, "searcher": "hill_climbing", "model": None, "best_return": 1.0, "final_return": None})
    table = rows(report.table(results))
    assert table["task"] == ["LEAPS (paper)", "cem (leaps)", "cem (leaps): final", "cem (leaps): test",
                             "hill_climbing"]
    assert table["maze"][2:4] == ["0.40 ± 0.20", "0.90 ± 0.00"]


def test_sample_efficiency_gives_median_evaluations_to_each_fraction_of_the_maximum():
    base = {"task": "doorkey", "protocol": "carvalho2024", "model": None, "searcher": "hill_climbing",
            "evaluations": 1000, "wall_time_s": 1.0, "max_return": 1.0}
    traces = [[[1, 0.1], [40, 0.5], [300, 1.0]], [[5, 0.6], [90, 0.95]], [[2, 0.2]]]
    results = [{**base, "best_return": t[-1][1], "best_trace": t} for t in traces]
    assert [report.evaluations_to_reach(results[0], f) for f in report.FRACTIONS] == [40, 300, 300]
    assert report.evaluations_to_reach(results[2], 0.5) == float("inf")
    table = rows(report.sample_efficiency_table(results, "carvalho2024"))
    # 50%: 40, 5, never -> 40; 90%: 300, 90, never -> 300; 100%: 300, never, never -> never
    assert table["doorkey"] == ["hill_climbing", "40", "300", "never", "1/3", "90"]
    assert report.sample_efficiency_table(results, "leaps") is None
    old = [{k: v for k, v in r.items() if k != "best_trace"} for r in results]  # runs made before traces
    assert report.sample_efficiency_table(old, "carvalho2024") is None


def test_the_plot_reads_best_traces_without_history_files(tmp_path):
    run = tmp_path / "doorkey" / "hill_climbing" / "seed0"
    run.mkdir(parents=True)
    result = {"task": "doorkey", "protocol": "carvalho2024", "searcher": "hill_climbing", "model": None,
              "best_return": 0.5, "evaluations": 1000, "wall_time_s": 1.0, "best_trace": [[3, 0.1], [200, 0.5]]}
    (run / "results.json").write_text(json.dumps(result))
    [(loaded, curve)] = report.load_histories([tmp_path])
    assert [(p["evaluations"], p["best_return"]) for p in curve] == [(3, 0.1), (200, 0.5), (1000, 0.5)]
    assert report.plot([tmp_path], tmp_path / "p.png") is not None


def test_published_drl_rows_stand_beside_drl_runs_only():
    base = {"task": "harvester", "evaluations": 10, "wall_time_s": 1.0, "best_return": 0.5}
    searchers = [{**base, "searcher": "cem", "model": "leaps"}]
    assert rows(report.table(searchers))["task"] == ["LEAPS (paper)", "cem (leaps)"]
    drl = searchers + [{**base, "searcher": "ppo", "model": "abstract"}]
    table = rows(report.table(drl))
    assert table["task"] == ["LEAPS (paper)", "DRL-abs (paper)", "cem (leaps)", "ppo (abstract)"]
    assert table["harvester"][:2] == ["0.45", "0.32"]


def test_hill_climbing_variants_get_their_own_columns_and_the_published_hc_beside_theirs():
    base = {"task": "doorkey", "protocol": "carvalho2024", "model": None, "searcher": "hill_climbing",
            "evaluations": 10, "wall_time_s": 1.0, "best_return": 0.5}
    results = [{**base, "config": {"searcher": {"variant": v}}} for v in ("first_improvement", "best_improvement")]
    results.append(base)  # made before variants existed (best_improvement)
    table = rows(report.table(results, "carvalho2024"))
    assert table["task"] == ["HC (paper)", "hill_climbing", "hill_climbing [best_improvement]",
                             "hill_climbing [first_improvement]"]
    assert table["doorkey"][0] == "0.84"
    latent = {**base, "model": "leaps", "config": {"searcher": {"variant": "first_improvement"}}}
    assert rows(report.table([latent], "carvalho2024"))["task"] == ["hill_climbing [first_improvement] (leaps)"]


def _traced(best_trace, evaluations, budget, **extra):
    return {"task": "doorkey", "protocol": "carvalho2024", "model": None, "searcher": "hill_climbing",
            "evaluations": evaluations, "wall_time_s": 9.0, "best_return": best_trace[-1][1], "test_return": 0.3,
            "best_trace": best_trace, "config": {"eval_budget": budget}, **extra}


def test_runs_cut_at_a_smaller_budget_keep_their_best_within_it():
    later = _traced([[1, 0.1], [40, 0.5], [300, 0.9]], 1000, 1000)
    cut = report.cut_at_evaluations(later, 100)
    assert (cut["best_return"], cut["evaluations"], cut["best_trace"]) == (0.5, 100, [(1, 0.1), (40, 0.5)])
    assert cut["test_return"] is None and cut["wall_time_s"] is None  # the best at 100 is not the recorded program
    assert report.run_label(cut) == "hill_climbing [100-eval budget]"
    early = _traced([[1, 0.1], [40, 0.5]], 1000, 1000)  # its best came before the cut: the program is the same
    assert report.cut_at_evaluations(early, 100)["test_return"] == 0.3
    solved = _traced([[1, 0.1], [60, 1.0]], 60, 1000)  # ended before the cut, as it would have with that budget
    assert report.cut_at_evaluations(solved, 100)["best_return"] == 1.0
    assert report.run_label(report.cut_at_evaluations(solved, 100)) == "hill_climbing [100-eval budget]"
    assert report.cut_at_evaluations(_traced([[50, 0.2]], 1000, 1000), 10) is None  # nothing scored by then
    assert report.cut_at_evaluations(later, 5000) is later


def test_at_evaluations_on_the_command_line(tmp_path, capsys):
    for seed, trace in enumerate([[[1, 0.1], [40, 0.5], [300, 0.9]], [[1, 0.2], [90, 0.7]]]):
        run = tmp_path / f"seed{seed}"
        run.mkdir()
        (run / "results.json").write_text(json.dumps(_traced(trace, 1000, 1000, seed=seed)))
    report.main([str(tmp_path), "--at-evaluations", "100", "--plot", str(tmp_path / "p.png")])
    out = capsys.readouterr().out
    table = rows(out.split("Sample efficiency")[0])
    assert table["task"] == ["hill_climbing [100-eval budget]", "hill_climbing [100-eval budget]: test"]
    # no published 0.84 beside; no test mean over the one run whose best came before the cut (a biased subset)
    assert table["doorkey"] == ["0.60 ± 0.10 (n=2, 100 evals)", "-"]
    with pytest.raises(SystemExit):
        report.main([str(tmp_path), "--at-evaluations", "0"])
    capsys.readouterr()
    report.main([str(tmp_path), "--at-evaluations", "1", "--plot", str(tmp_path / "p.png")])  # seed 1 scored 0.2 at 1
    assert "leaves out 0 of" not in capsys.readouterr().err
    untraced = tmp_path / "old"
    untraced.mkdir()
    (untraced / "results.json").write_text(json.dumps({**_traced([[1, 0.1]], 1000, None), "best_trace": None}))
    report.main([str(tmp_path), "--at-evaluations", "100", "--plot", str(tmp_path / "p.png")])
    assert "leaves out 1 of 3 runs (1 without a best_trace" in capsys.readouterr().err


@pytest.mark.parametrize(("searcher", "searcher_config", "label"), [
    ("cem", {"population_decoding": "greedy", "restart_after": 50}, "cem + restarts/50 (leaps)"),
    ("cem", {"population_decoding": "sample"}, "cem [sampled] (leaps)"),
    ("cem", {"restart_after": None}, "cem [sampled] (leaps)"),  # made before the setting existed: CEM sampled
    ("latent_cem", {}, "latent_cem (leaps)"),  # the successors' CEM always decodes greedily
])
def test_a_cem_that_sampled_its_population_is_its_own_column(searcher, searcher_config, label):
    result = {"searcher": searcher, "model": "leaps", "config": {"searcher": {"name": searcher, **searcher_config}}}
    assert report.run_label(result) == label
