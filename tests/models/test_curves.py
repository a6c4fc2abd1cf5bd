"""Training curves from CSV logs: resumed runs merged, the table the README shows."""

import pytest

from leaps.models.curves import curve_table, main, read_curve

HEADER = "epoch,step,train/loss,val/greedy_program_accuracy,val/execution_accuracy\n"


def _log(run, version, rows):
    path = run / "csv" / f"version_{version}" / "metrics.csv"
    path.parent.mkdir(parents=True)
    path.write_text(HEADER + "".join(rows))


def test_a_resumed_run_reads_as_one_curve_the_later_process_winning(tmp_path):
    run = tmp_path / "run"
    _log(run, 0, ["0,10,2.0,,\n", "0,10,,0.10,0.20\n", "1,20,,0.30,0.40\n"])
    _log(run, 10, ["2,30,,0.70,0.80\n"])  # version_10 after version_2: numeric order, not text order
    _log(run, 2, ["1,20,,0.35,0.45\n", "2,30,,0.50,0.60\n"])
    curve = read_curve(run)
    assert sorted(curve) == [1, 2, 3]
    assert curve[1] == {"greedy_program_accuracy": 0.10, "execution_accuracy": 0.20, "train/loss": 2.0}
    assert curve[2]["greedy_program_accuracy"] == 0.35 and curve[3]["greedy_program_accuracy"] == 0.70


def test_train_columns_are_the_epochs_mean_of_its_logged_training_rows(tmp_path, capsys):
    run = tmp_path / "run"
    _log(run, 0, ["0,10,2.0,,\n", "0,20,1.0,,\n", "0,20,,0.10,0.20\n", "1,30,0.5,,\n", "1,30,,0.30,0.40\n"])
    _log(run, 1, ["1,30,0.25,,\n", "1,30,,0.35,0.45\n"])  # the resumed process's epoch 2 replaces the first's
    curve = read_curve(run)
    assert curve[1]["train/loss"] == pytest.approx(1.5) and curve[2]["train/loss"] == pytest.approx(0.25)
    assert main([str(run), "--columns", "greedy_program_accuracy,train/loss"]) == 0
    out = capsys.readouterr().out
    assert "run: greedy program accuracy / train loss |" in out
    assert "| 1 | 0.100 / 1.500 |" in out and "| 2 | 0.350 / 0.250 |" in out


def test_table_every_nth_epoch_and_each_runs_last():
    a = {e: {"greedy_program_accuracy": e / 10, "execution_accuracy": e / 20} for e in range(1, 8)}
    b = {e: {"greedy_program_accuracy": e / 10} for e in range(1, 4)}
    lines = curve_table({"a": a, "b": b}, every=5).splitlines()
    assert lines[0] == ("| after epoch | a: greedy program accuracy / execution accuracy "
                        "| b: greedy program accuracy / execution accuracy |")
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| 3", "| 5", "| 7"]
    assert lines[2] == "| 3 | 0.300 / 0.150 | 0.300 / - |"
    assert lines[3] == "| 5 | 0.500 / 0.250 | - |"


def test_cli_prints_the_table_and_says_when_a_run_has_no_log(tmp_path, capsys):
    run = tmp_path / "leapspl"
    _log(run, 0, ["0,10,,0.10,0.20\n"])
    assert main([str(run)]) == 0
    assert "| 1 | 0.100 / 0.200 |" in capsys.readouterr().out
    assert main([str(tmp_path / "missing")]) == 2
    assert "no metrics.csv under" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(run), "--every", "0"])
