"""Speaker precision and recall of the speakers an index stores, on eval/speakers.jsonl: python3 eval/score_speakers.py [--index index] [--split dev]."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.index import open_index  # noqa: E402
from rag.speaker_eval import load_speaker_rows, predict_speakers, score_speakers  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--index", default="index")
parser.add_argument("--labels", default=str(Path(__file__).with_name("speakers.jsonl")))
parser.add_argument("--split", choices=["dev", "test"], default=None, help="both halves when omitted")
args = parser.parse_args()
index = open_index(args.index)
for split in [args.split] if args.split else ["dev", "test"]:
    rows = load_speaker_rows(args.labels, split)
    s = score_speakers(rows, predict_speakers(rows, index))
    print(f"{split}: speaker precision {s.precision:.3f} ({s.correct}/{s.predicted}), "
          f"recall {s.recall:.3f} ({s.correct}/{s.labelled})")
