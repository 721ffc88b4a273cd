"""App cold start: seconds from `python app.py` to a served page (index already built) and to the first answer.

Run: .venv/bin/python benchmarks/cold_start.py [--runs 3]   (median of runs; writes benchmarks/results/cold_start.json)
Each run is a fresh process on a free loopback port; the index is built once beforehand.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from appserver import REPO, start_app, stop_app


def main() -> None:
    """Measure runs and print medians."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(REPO / "seeds"))
    parser.add_argument("--index", default=str(REPO / "index"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/cold_start.json")
    args = parser.parse_args()

    from gradio_client import Client

    from rag import RAG

    RAG.build(args.corpus, args.index, progress=False)  # built before timing: this measures a warm-disk cold start
    page, first_answer = [], []
    for _ in range(args.runs):
        process, url, seconds = start_app(args.corpus, args.index)
        try:
            started = time.perf_counter()
            client = Client(url, verbose=False)
            result = client.predict("Which missile system were Russian personnel trained in Iran to operate?", api_name="/ask")
            answered = seconds + time.perf_counter() - started
            assert "Fath-360" in json.dumps(result), result
        finally:
            stop_app(process)
        page.append(seconds)
        first_answer.append(answered)
    payload = {"runs": args.runs, "served_page_s": [round(x, 2) for x in page], "first_answer_s": [round(x, 2) for x in first_answer],
               "median_served_page_s": round(statistics.median(page), 2), "median_first_answer_s": round(statistics.median(first_answer), 2)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
