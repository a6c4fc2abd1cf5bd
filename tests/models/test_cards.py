import json

from leaps.models import cards
from leaps.models.checkpoint import CONFIG_FILE, WEIGHTS_FILE


def test_card_table_reads_every_shipped_model(tmp_path, monkeypatch):
    for name, acc, hardware in (("leapsp", 0.8, ""), ("leaps", 0.9, "1 H100")):
        (tmp_path / name).mkdir()
        (tmp_path / name / WEIGHTS_FILE).write_bytes(b"")
        card = {"wall_time_min": 45.0, "programs": 2000, "split": "test", "token_accuracy": 0.99,
                "program_accuracy": acc, "greedy_program_accuracy": acc, "execution_accuracy": 0.5, "notes": "n",
                "hardware": hardware}
        (tmp_path / name / CONFIG_FILE).write_text(json.dumps({"training": {"epochs": 3, "steps": 1234}, "card": card}))
    monkeypatch.setattr(cards, "SHIPPED_DIR", tmp_path)
    monkeypatch.setattr("leaps.models.checkpoint.SHIPPED_DIR", tmp_path)
    table = cards.card_table()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [r.split("|")[1].strip() for r in rows] == ["`leaps`", "`leapsp`"]  # the paper's order
    assert "| 3 (1,234) | 45 min | 1 H100 | 2,000 (test) | 0.990 | 0.900 | 0.500 | - | - |" in rows[0]
    assert "| 45 min | - | 2,000 (test) | 0.990 | 0.800 |" in rows[1]  # no hardware recorded
    assert "- `leapsp`: n" in table
