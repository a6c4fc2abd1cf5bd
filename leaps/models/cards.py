"""The shipped models' cards as the README's markdown table, read from
``leaps/checkpoints/<name>/config.json`` (written by ``leaps.models.ship``),
so that the README cannot drift from the shipped figures.

    python -m leaps.models.cards
"""

from __future__ import annotations

import json
import sys

from leaps.models.checkpoint import CONFIG_FILE, SHIPPED_DIR, shipped_models

ORDER = ("leaps", "leapsp", "leapspr", "leapspl")
COLUMNS = ("token_accuracy", "greedy_program_accuracy", "execution_accuracy", "action_accuracy", "demo_accuracy")
"""(Teacher-forced program accuracy is left out: with the mean latent it equals the
greedy one, since greedy decoding reproduces a program iff every teacher-forced
argmax is right.)"""


def card_table(names: list[str] | None = None) -> str:
    names = names or sorted(shipped_models(), key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    head = ["model", "epochs (steps)", "wall time", "hardware", "programs (split)",
            *(c.replace("_", " ") for c in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for name in names:
        data = json.loads((SHIPPED_DIR / name / CONFIG_FILE).read_text())
        card, training = data["card"], data.get("training", {})
        cells = [f"`{name}`", f"{training.get('epochs', '?')} ({training.get('steps', 0):,})",
                 f"{card['wall_time_min']:.0f} min", card.get("hardware") or "-",
                 f"{card['programs']:,} ({card['split']})"]
        cells += [f"{card[c]:.3f}" if c in card else "-" for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
        if card.get("notes"):
            notes.append(f"- `{name}`: {card['notes']}")
    return "\n".join(lines + ([""] + notes if notes else []))


def main() -> int:
    if not shipped_models():
        print(f"error: no shipped models in {SHIPPED_DIR}", file=sys.stderr)
        return 1
    print(card_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
