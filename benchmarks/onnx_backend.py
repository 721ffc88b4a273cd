"""Try an ONNX Runtime backend of the bundled model (fp32 and int8), exported locally: speed and SciFact nDCG@10.

sentence-transformers' own ONNX/OpenVINO backends need `optimum`, whose releases pin transformers 4.x
(incompatible with the sentence-transformers 6 / transformers 5 stack here), so the transformer is exported
with `torch.onnx.export` and pooled/normalized like the original (mean pooling, L2 norm). No download.

Run: .venv/bin/python benchmarks/onnx_backend.py [--scifact ../shared/bench/scifact] [--sample 2000]
Needs `pip install onnx onnxruntime` (not project dependencies unless adopted).
Adoption rule (issue 5): default only if >= 1.5x faster and nDCG@10 loss <= 0.01 on SciFact.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class OnnxEmbedder:
    """Same interface as rag.embedding.Embedder, running the exported transformer on onnxruntime."""

    def __init__(self, torch_embedder, onnx_path: Path, name: str):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = torch_embedder.model.tokenizer
        self.name = torch_embedder.name  # same model: the index settings stay compatible
        self.label = name
        self.dimension = torch_embedder.dimension
        self.max_seq_length = torch_embedder.max_seq_length
        self._input_names = {i.name for i in self.session.get_inputs()}

    def count_tokens(self, texts):
        """Model tokenizer lengths, special tokens included."""
        return [len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]]

    def fits(self, text: str) -> bool:
        """Whether the model reads text whole."""
        return self.count_tokens([text])[0] <= self.max_seq_length

    def encode(self, texts, *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Mean-pooled, L2-normalized float32 embeddings (length-sorted batches, like sentence-transformers)."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            feats = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                   max_length=self.max_seq_length, return_tensors="np")
            inputs = {k: v.astype(np.int64) for k, v in feats.items() if k in self._input_names}
            hidden = self.session.run(None, inputs)[0]
            mask = feats["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector."""
        return self.encode([text], batch_size=1)[0]


def export(torch_embedder, folder: Path) -> tuple[Path, Path]:
    """fp32 and dynamically int8-quantized ONNX files of the model's transformer."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    bert = torch_embedder.model[0].auto_model.eval()
    sample = torch_embedder.model.tokenizer(["an example sentence to trace"], return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Transformer(torch.nn.Module):
        """Positional inputs, one output: what the exporter traces."""

        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, *inputs):
            return self.bert(**dict(zip(names, inputs)), return_dict=True).last_hidden_state

    fp32 = folder / "model.onnx"
    axes = {n: {0: "batch", 1: "seq"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "seq"}
    with torch.no_grad():
        torch.onnx.export(Transformer().eval(), tuple(sample[n] for n in names), str(fp32), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
    int8 = folder / "model-int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return fp32, int8


def main() -> None:
    """Export, time, evaluate."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scifact", default="../shared/bench/scifact")
    parser.add_argument("--sample", type=int, default=2000, help="chunk texts timed per backend")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-ndcg", action="store_true")
    parser.add_argument("--out", default="benchmarks/results/onnx_backend.json")
    args = parser.parse_args()

    from rag.embedding import Embedder
    from rag.evaluation import BeirRun, beir_documents, evaluate_beir, load_beir

    from build_speed import corpus_texts  # same folder

    torch_embedder = Embedder.load()
    folder = Path(tempfile.mkdtemp(prefix="onnx-export-"))
    fp32, int8 = export(torch_embedder, folder)
    backends = {"torch": torch_embedder, "onnx-fp32": OnnxEmbedder(torch_embedder, fp32, "onnx-fp32"),
                "onnx-int8": OnnxEmbedder(torch_embedder, int8, "onnx-int8")}
    docs = beir_documents(load_beir(args.scifact)[0])
    rng = np.random.default_rng(0)
    texts = corpus_texts([docs[i] for i in rng.choice(len(docs), 400, replace=False)], torch_embedder, 512, 64, False)
    texts = texts[: args.sample]
    reference = torch_embedder.encode(texts)
    seconds: dict[str, list[float]] = {name: [] for name in backends}
    agreement = {}
    for _ in range(args.repeats):  # interleaved, so load changes hit every backend alike
        for name, backend in backends.items():
            started = time.perf_counter()
            vectors = backend.encode(texts)
            seconds[name].append(time.perf_counter() - started)
            agreement[name] = float(np.mean(np.sum(vectors * reference, axis=1)))
    result = {"texts": len(texts), "seconds": {k: [round(x, 2) for x in v] for k, v in seconds.items()},
              "median_s": {k: round(statistics.median(v), 2) for k, v in seconds.items()},
              "speedup_vs_torch": {k: round(statistics.median(seconds["torch"]) / statistics.median(v), 2) for k, v in seconds.items()},
              "mean_cosine_to_torch": {k: round(v, 4) for k, v in agreement.items()}}
    print(json.dumps(result, indent=2), flush=True)
    if not args.skip_ndcg:
        result["scifact"] = {}
        for name in [n for n in ("onnx-int8", "onnx-fp32") if result["speedup_vs_torch"][n] >= 1.5]:  # others cannot be adopted
            report = evaluate_beir(args.scifact, BeirRun(modes=("dense", "hybrid")), embedder=backends[name],
                                   cache=Path(".cache/bench") / name, progress=False)
            result["scifact"][name] = {mode: r["ndcg@10"] for mode, r in report["results"].items()}
            result["scifact"][name]["build_seconds"] = report["build_seconds"]
            print(name, json.dumps(result["scifact"][name]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
