"""Prediction latency of the ONNX export (ONNX Runtime) against ``predict``.

Run from the repository root::

    python benchmarks/bench_onnx.py            # weather data, writes benchmarks/RESULTS_onnx.md
    python benchmarks/bench_onnx.py --quick    # diabetes, fewer repeats (smoke run)

Fits ``GiantStepRegressor()`` and ``AlternatingOLSReLURegressor()`` at their default
settings (``random_state=0``) on the training split of one development data set, exports
each with ``skl2onnx.to_onnx`` (float32 graph) and times, on test rows, one row per call
and 1,000 rows per call, for ``model.predict`` and for ``InferenceSession.run`` (both fed
the same float32 array). BLAS is pinned with threadpoolctl and ONNX Runtime is given the
same number of threads. Also reports the largest difference between the two on the
whole test split, in units of the test targets' standard deviation.
"""

import argparse
import sys
import time

import numpy as np
from _common import load_summary, pin_threads, results_header

import skgiant.onnx  # noqa: F401  -- registers the converters
from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor
from skgiant._devdata import available_dev_datasets, dev_splits

DEFAULT_OUT = "benchmarks/RESULTS_onnx.md"
BATCH = 1_000


def per_call_seconds(func, calls, repeats):
    """Median over ``repeats`` of the mean wall time of ``calls`` calls of ``func()``."""
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        for _ in range(calls):
            func()
        times.append((time.perf_counter() - tic) / calls)
    return float(np.median(times))


def session_of(model, X_sample, threads):
    import onnxruntime as ort
    import skl2onnx

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    onx = skl2onnx.to_onnx(model, X_sample)
    session = ort.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return session, session.get_inputs()[0].name, len(onx.SerializeToString())


def measure(model, X_test, y_test, threads, repeats):
    """Latencies (seconds) and agreement of one fitted model."""
    session, input_name, n_bytes = session_of(model, X_test[:1], threads)
    onnx_predict = lambda rows: session.run(None, {input_name: rows})[0]  # noqa: E731
    deviation = np.max(np.abs(onnx_predict(X_test).ravel() - model.predict(X_test)))
    row = X_test[:1]
    batch = np.resize(X_test, (BATCH, X_test.shape[1]))  # repeats rows if fewer than 1,000
    out = dict(relative_deviation=deviation / np.std(y_test), onnx_bytes=n_bytes)
    # interleaved, so that a change of machine load hits both sides alike
    for key, rows, calls in (("row", row, 200), ("batch", batch, 5)):
        ours, onnx = [], []
        for _ in range(repeats):
            ours.append(per_call_seconds(lambda r=rows: model.predict(r), calls, 1))
            onnx.append(per_call_seconds(lambda r=rows: onnx_predict(r), calls, 1))
        out[f"predict_{key}"], out[f"onnx_{key}"] = float(np.median(ours)), float(np.median(onnx))
    return out


def table(results):
    lines = [
        "| model | hidden units | predict, 1 row (µs) | ONNX Runtime, 1 row (µs) | ratio "
        f"| predict, {BATCH:,} rows (ms) | ONNX Runtime, {BATCH:,} rows (ms) | ratio "
        "| max abs difference / std(y) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['n_hidden']} | {1e6 * r['predict_row']:.0f} | "
            f"{1e6 * r['onnx_row']:.0f} | {r['predict_row'] / r['onnx_row']:.1f} | "
            f"{1e3 * r['predict_batch']:.2f} | {1e3 * r['onnx_batch']:.2f} | "
            f"{r['predict_batch'] / r['onnx_batch']:.1f} | {r['relative_deviation']:.1e} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="diabetes, 3 repeats (smoke)")
    parser.add_argument("--dataset", default=None, help="development data set (weather)")
    parser.add_argument("--repeats", type=int, default=None, help="timing repeats (15)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and ONNX threads (1)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"results file ({DEFAULT_OUT})")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    name = args.dataset or ("diabetes" if args.quick else "weather")
    if name not in available_dev_datasets():
        parser.error(f"data set {name!r} unavailable; available: {available_dev_datasets()}")
    repeats = args.repeats or (3 if args.quick else 15)

    with pin_threads(args.threads):
        header = results_header(
            "ONNX Runtime against predict: prediction latency",
            "benchmarks/bench_onnx.py",
            argv,
            args.threads,
        )
        import onnxruntime
        import skl2onnx

        X_train, X_test, y_train, y_test = next(dev_splits(name, seeds=[0]))
        X_test = np.ascontiguousarray(X_test, dtype=np.float32)
        header += [
            f"- skl2onnx {skl2onnx.__version__}, onnxruntime {onnxruntime.__version__} "
            f"(CPUExecutionProvider, {args.threads} intra-op thread(s))",
            f"- data: `{name}` split 0 of `dev_splits` ({len(y_train)} training rows, "
            f"{len(y_test)} test rows, {X_train.shape[1]} features); inputs fed as float32 "
            "to both sides",
            f"- latency: median over {repeats} interleaved repeats of the mean of 200 calls "
            f"(1 row) or 5 calls ({BATCH:,} rows, test rows repeated as needed); ratio = "
            "predict time / ONNX Runtime time (above 1: ONNX Runtime is faster)",
        ]
        if args.quick:
            header.append("- **quick smoke run** (`--quick`): not the benchmark's numbers")
        results = {}
        for model in (
            GiantStepRegressor(random_state=0),
            AlternatingOLSReLURegressor(random_state=0),
        ):
            label = type(model).__name__
            print(f"{label} ...", file=sys.stderr, flush=True)
            model.fit(X_train, y_train)
            results[label] = measure(model, X_test, y_test, args.threads, repeats)
            results[label]["n_hidden"] = model.network_.n_hidden
    body = table(results)
    footer = f"{load_summary()} at end."
    text = "\n".join(header) + "\n\n" + body + "\n\n" + footer + "\n"
    print(text)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {args.out}", file=sys.stderr)
    return results


if __name__ == "__main__":
    sys.exit(main() and 0)
