"""Speaker precision and recall on a labelled set: python3 eval/score_speakers.py [--index index] [--split dev];
with --articles FOLDER the articles are parsed directly instead of read from an index (the blind set:
--labels eval/speakers_blind.jsonl --articles eval/speaker_blind)."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.speaker_eval import (load_speaker_rows, predict_speakers, predict_speakers_from_articles,  # noqa: E402
                              score_speakers)

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--index", default="index")
parser.add_argument("--articles", default=None, help="parse the labelled articles in this folder (no index)")
parser.add_argument("--labels", default=str(Path(__file__).with_name("speakers.jsonl")))
parser.add_argument("--split", choices=["dev", "test", "all"], default=None,
                    help="dev and test halves when omitted; 'all' for a set with no halves (the blind one)")
args = parser.parse_args()
if args.articles:
    predict = lambda rows: predict_speakers_from_articles(rows, args.articles)  # noqa: E731
else:
    from rag.store import open_index

    index = open_index(args.index)
    predict = lambda rows: predict_speakers(rows, index)  # noqa: E731
for split in [args.split] if args.split else ["dev", "test"]:
    rows = load_speaker_rows(args.labels, None if split == "all" else split)
    s = score_speakers(rows, predict(rows))
    print(f"{split}: speaker precision {s.precision:.3f} ({s.correct}/{s.predicted}), "
          f"recall {s.recall:.3f} ({s.correct}/{s.labelled})")
