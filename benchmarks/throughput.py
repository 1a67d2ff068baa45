"""Throughput, training time, start-up, memory and scale-out of classify, against its peers.

What is measured, against what (one run, the same records for every system):

- Labelling throughput on one core. classify's shipped model (topics of the question, stance
  of the answer read with its question) against (a) a plain scikit-learn pipeline doing the same
  job: TfidfVectorizer word 1-2 + char_wb 2-5 grams and LogisticRegression, one for the topics
  (question), one for the stance (question + answer); (b) fastText's own ``predict`` with two
  supervised models (25 epochs, word bigrams) for the same two jobs, and with one model on
  question + answer (fastText's cheapest comparable call). Peers are trained on the gold corpus.
  Records: question + answer records of ``be_kamer_2017_qa.jsonl`` repeated to MIN_RECORDS
  (the sklearn pipeline labels SKLEARN_RECORDS of them: it is slow). Throughput is records per
  CPU second of this process (``time.process_time``: other load on the machine inflates wall
  time, not CPU time), best of ROUNDS interleaved rounds. Also: ``classify label`` end to end
  (JSONL in, JSONL out) as a subprocess, and that the fast scoring path gives the predictions
  of the reference path (``transform(X) @ W``), so accuracy cannot have moved.
- Scale-out: ``classify label --jobs 1`` vs ``--jobs 2`` (wall time, this machine's 2 cores,
  outputs compared byte for byte), and Dask (LocalCluster, 2 worker processes) vs one process.
- Training: ``classify.train`` (fit only, ``cv=0``) vs fastText supervised, 25 epochs, one
  thread, on the gold corpus (topics + stance models) and on the 2017 Belgian set (main themes
  with >= MIN_THEME questions, as in benchmarks/accuracy.py). CPU seconds.
- Start-up: ``import classify``, ``python -m classify --help`` and ``classify.load()`` of the
  shipped model (wall time of fresh interpreters, best of STARTUP_RUNS); the model's size on disk.
- Memory: peak RSS of ``classify label`` on a JSONL file of MEMORY_BYTES (generated in
  ``--workdir`` from the same records), output written to a file; then on the same with a case
  number of its own in every question, so that the vocabulary keeps growing as in a real archive.

Run (outside CI; ~35 minutes on 2 cores, most of it the two 2 GB memory runs):

    python benchmarks/throughput.py --workdir /tmp/classify-bench [--sections throughput,scale_out,...]

Needs ``pip install -e ".[bench,dask,fast]"`` (the figures are for the ``fast`` install; the numpy-only rate is measured beside it). Writes benchmarks/throughput.json and
benchmarks/THROUGHPUT.md; exits 1 when a target is not met.
"""

# ruff: noqa: E501  (the report's table rows read better unwrapped)

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CLASSIFY_DATA_DIR", ROOT.parent / "shared" / "data"))
RECORDS_FILE = DATA / "be_kamer_2017_qa.jsonl"
DEMO_DOCUMENT = ROOT / "tests" / "fixtures" / "documents" / "defensieraad_2026_nr300.txt"  # the README demo input
MIN_RECORDS = 50_000  # records labelled per round
SCALE_RECORDS = 200_000  # records of the scale-out runs (an archive: worker start-up is a small part)
STARTUP_PROBE = 200  # records of the runs that measure that start-up
SKLEARN_RECORDS = 400  # the scikit-learn pipeline labels this many (~150 records/s)
ROUNDS = 3  # interleaved rounds; the best per system counts
BATCH = 2000  # records per predict call, as classify label batches them
FASTTEXT_EPOCHS = 25
MIN_THEME = 30  # Belgian main themes with at least this many questions (as benchmarks/accuracy.py)
STARTUP_RUNS = 7
MEMORY_BYTES = 2 * 1024**3  # size of the generated JSONL for the memory run
MB = 1024**2

TARGETS = {  # name: (comparison, target)
    "throughput_vs_sklearn": (">=", 20.0),  # classify records/s over the sklearn pipeline's
    "throughput_vs_fasttext_same_job": (">=", 1.0),  # ... over fastText predict, two models
    "throughput_vs_fasttext_one_model": (">=", 1.0),  # ... over fastText predict, one model on q + a
    "train_vs_fasttext_gold": ("<=", 1.0),  # classify training seconds over fastText's
    "train_vs_fasttext_belgian": ("<=", 1.0),
    "import_seconds": ("<=", 0.3),
    "help_seconds": ("<=", 0.3),
    "load_seconds_warm": ("<=", 0.2),  # classify.load() with the library's modules imported
    "load_seconds_cold": ("<=", 0.2),  # a fresh interpreter: import classify; classify.load()
    "model_mb_on_disk": ("<=", 30.0),
    "peak_rss_mb_2gb": ("<=", 500.0),
}

sys.path.insert(0, str(ROOT))


# -- data -----------------------------------------------------------------------------------------
def belgian_records() -> list[dict]:
    with open(RECORDS_FILE, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def repeated(records, n):
    out = []
    while len(out) < n:
        k = len(out) // len(records)
        out += [dict(r, id=f"{r['id']}#{k}") for r in records[: n - len(out)]]
    return out


def write_jsonl(path: Path, records, min_bytes: int = 0, limit: int | None = None, case_numbers: bool = False) -> int:
    """Write records (repeated with fresh ids until ``min_bytes``, or ``limit`` records); returns the count.

    ``case_numbers``: each question also names a case number of its own ("zaak 2026Z0012345"), so
    the vocabulary grows with the archive as in a real one (dossier and case numbers, dates, names)
    rather than stopping at the repeated records' words.
    """
    count, size, k = 0, 0, 0
    with open(path, "w", encoding="utf-8") as handle:
        while True:
            for r in records:
                if count == limit:
                    return count
                r = dict(r, question=f"{r['question']} (zaak 2026Z{count:07d})") if case_numbers else r
                line = json.dumps(dict(r, id=f"{r['id']}#{k}"), ensure_ascii=False) + "\n"
                handle.write(line)
                count, size = count + 1, size + len(line.encode("utf-8"))
            k += 1
            if limit is None and size >= min_bytes:
                return count


def gold_records():
    """Rounds 1-2 of the gold corpus (the training-time figures were measured on them; the shipped
    model also has labels/round3.jsonl's 370 records)."""
    import classify

    records, missing = classify.hydrate([ROOT / "labels" / "seed.jsonl", ROOT / "labels" / "annotations.jsonl"], DATA)
    assert not missing, f"{len(missing)} gold ids missing in {DATA}"
    return records


# -- peers ------------------------------------------------------------------------------------------
def one_line(text) -> str:
    return " ".join((text or "").split())


def train_fasttext(texts, labels, path: Path, multi: bool):
    import fasttext

    with open(path, "w", encoding="utf-8") as handle:
        for text, ls in zip(texts, labels, strict=True):
            handle.write(" ".join(f"__label__{label.replace(' ', '_')}" for label in ls) + f" {one_line(text)}\n")
    kwargs = {"loss": "ova"} if multi else {}
    return fasttext.train_supervised(str(path), epoch=FASTTEXT_EPOCHS, wordNgrams=2, thread=1, verbose=0, seed=0, **kwargs)


def sklearn_pipeline(wrap=None):
    """The plain pipeline: word 1-2 and char_wb 2-5 TF-IDF, logistic regression (``wrap``: one-vs-rest)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    union = make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True))
    classifier = LogisticRegression(max_iter=1000)
    return make_pipeline(union, wrap(classifier) if wrap else classifier)


def peers(gold, workdir: Path):
    """fastText and scikit-learn models for topics (question) and stance (question + answer)."""
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    questions = [r["question"] for r in gold]
    topics = [r.get("topics") or ["none"] for r in gold]
    with_stance = [r for r in gold if r.get("stance")]
    qa = [f"{r['question']} {r['answer'] or ''}" for r in with_stance]
    stances = [[r["stance"]] for r in with_stance]
    ft = (train_fasttext(questions, topics, workdir / "ft_topics.txt", multi=True),
          train_fasttext(qa, stances, workdir / "ft_stance.txt", multi=False),
          train_fasttext([f"{r['question']} {r['answer'] or ''}" for r in gold], topics, workdir / "ft_qa.txt", multi=True))
    Y = MultiLabelBinarizer().fit_transform([r.get("topics") or [] for r in gold])
    sk_topics = sklearn_pipeline(OneVsRestClassifier).fit(questions, Y)
    sk_stance = sklearn_pipeline().fit(qa, [s[0] for s in stances])
    return ft, (sk_topics, sk_stance)


# -- measurements -------------------------------------------------------------------------------
def cpu_rate(n, fn) -> float:
    start = time.process_time()
    fn()
    return n / (time.process_time() - start)


def throughput(model, records, ft, sk) -> dict:
    from classify import _compiled

    if _compiled.kernel("score") is None:
        raise SystemExit("throughput: numba is not installed; pip install -e '.[bench,fast]' (the figures are for the [fast] install)")
    questions = [r["question"] for r in records]
    answers = [r["answer"] for r in records]
    q_lines = [one_line(q) for q in questions]
    qa_lines = [one_line(f"{q} {a or ''}") for q, a in zip(questions, answers, strict=True)]
    answered = [i for i, a in enumerate(answers) if a and a.strip()]
    n, m = len(records), SKLEARN_RECORDS

    def ours():
        for i in range(0, n, BATCH):
            model.predict(questions[i : i + BATCH], answers[i : i + BATCH])

    def ours_numpy_only():  # what an install without the [fast] extra (numba) runs
        kernels = _compiled._kernels
        _compiled._kernels = {}
        try:
            ours()
        finally:
            _compiled._kernels = kernels

    def fasttext_same_job():  # topics of the question (one-vs-all, all labels), stance of the answered ones
        for i in range(0, n, BATCH):
            ft[0].predict(q_lines[i : i + BATCH], k=-1, threshold=0.5)
            ft[1].predict([qa_lines[j] for j in answered if i <= j < i + BATCH], k=1)

    def fasttext_one_model():
        for i in range(0, n, BATCH):
            ft[2].predict(qa_lines[i : i + BATCH], k=-1, threshold=0.5)

    def sklearn_same_job():
        sk[0].predict_proba(questions[:m])
        sk[1].predict_proba([f"{questions[j]} {answers[j]}" for j in answered if j < m])

    best: dict[str, float] = {}
    for _ in range(ROUNDS):
        for name, fn, count in (("classify", ours, n), ("classify_numpy_only", ours_numpy_only, n), ("fasttext_same_job", fasttext_same_job, n),
                                ("fasttext_one_model", fasttext_one_model, n), ("sklearn_same_job", sklearn_same_job, m)):
            best[name] = max(best.get(name, 0.0), cpu_rate(count, fn))
    return best


def fast_path_agreement(model, records) -> dict:
    """Predictions of the scoring fast path (``features.dot``) vs the reference ``transform(X) @ W``.

    The reference swaps each head's ``decision_function`` for the matrix product it stands for;
    everything downstream (calibration, thresholds, stance link) is the heads' own code.
    """
    from classify import linear
    from classify.fitted import as_pairs, as_texts

    questions = [r["question"] for r in records]
    answers = [r["answer"] for r in records]
    fast = model.predict_proba(questions, answers), model.predict(questions, answers)
    t, s = model.topics, model.stance
    # the reference ignores the question scores Model.predict_proba computes once for both heads
    t.decision_function = lambda X, *_: linear.scores(t.features_.transform(as_texts(X)), t.weights_, t.intercept_)
    s.decision_function = lambda X, *_: linear.scores(s._transform(*as_pairs(X)), s.weights_, s.intercept_)
    try:
        reference = model.predict_proba(questions, answers), model.predict(questions, answers)
    finally:
        del t.decision_function, s.decision_function
    (tf, sf), (tr, sr) = fast[0], reference[0]
    answered = ~np.isnan(sf[:, 0])
    return {
        "records": len(records),
        "max_abs_diff_topic_probability": float(np.abs(tf - tr).max()),
        "max_abs_diff_stance_probability": float(np.abs(sf[answered] - sr[answered]).max()),
        "same_topic_labels": [p["topics"] for p in fast[1]] == [p["topics"] for p in reference[1]],
        "same_stance_labels": [p["stance"] for p in fast[1]] == [p["stance"] for p in reference[1]],
    }


def run_child(args, **kwargs) -> dict:
    """Run a command; its wall seconds, CPU seconds and peak RSS (MB), measured as our child."""
    code = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(json.dumps({'wall': time.perf_counter() - t, 'cpu': u.ru_utime + u.ru_stime, 'rss_mb': u.ru_maxrss / 1024, "
            "'returncode': p.returncode, 'stderr': p.stderr[-2000:]}))")
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True, **kwargs)
    return json.loads(out.stdout)


def label_cli(path: Path, out: Path, *extra) -> dict:
    return run_child([sys.executable, "-m", "classify", "label", path, "--out", out, *extra], cwd=ROOT)


def scale_out(records, workdir: Path) -> dict:
    """``classify label`` on SCALE_RECORDS records: one process, ``--jobs 2``, ``--dask`` (a LocalCluster).

    Wall times of whole commands, worker start-up included; the same commands on a
    STARTUP_PROBE-record file measure that fixed cost, so the efficiency after start-up is
    reported too.
    """
    big, small = workdir / "scale.jsonl", workdir / "scale-probe.jsonl"
    write_jsonl(big, records, limit=SCALE_RECORDS)
    write_jsonl(small, records, limit=STARTUP_PROBE)
    result: dict = {"records": SCALE_RECORDS}

    def run(name, *extra):
        result[name] = label_cli(big, workdir / f"{name}.jsonl", *extra)
        result[name]["probe_wall"] = label_cli(small, workdir / f"{name}-probe.jsonl", *extra)["wall"]

    run("jobs1")
    run("jobs2", "--jobs", 2)
    try:
        from distributed import LocalCluster
    except ImportError:
        pass
    else:  # started only now: even idle, its processes take CPU from the runs above
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            run("dask", "--dask", cluster.scheduler_address)
    runs = [name for name in ("jobs1", "jobs2", "dask") if name in result]
    expected = (workdir / "jobs1.jsonl").read_bytes()
    one = result["jobs1"]
    for name in runs:
        r = result[name]
        r["identical_output"] = (workdir / f"{name}.jsonl").read_bytes() == expected
        r["speedup"] = one["wall"] / r["wall"]
        r["efficiency"] = r["speedup"] / 2
        r["efficiency_after_startup"] = (one["wall"] - one["probe_wall"]) / (r["wall"] - r["probe_wall"]) / 2
        (workdir / f"{name}.jsonl").unlink()
    return result


def training(gold, belgian, workdir: Path) -> dict:
    from collections import Counter

    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    import classify
    from classify import _tokens
    from classify.schema import LabelSchema

    def one_thread(fn):
        """CPU and wall seconds of ``fn()`` with BLAS on one thread, as fastText gets (``thread=1``).

        With two BLAS threads the ridge system's Gram matrix takes less wall time but more CPU
        time (OpenBLAS threads spin while they wait): one thread each is the like-for-like count.
        The token vocabulary is emptied first, so every round tokenises and hashes from scratch.
        """
        _tokens.VOCABULARY.generation += 1
        _tokens.VOCABULARY._clear()
        start, wall = time.process_time(), time.perf_counter()
        with threadpool_limits(1):
            fn()
        return time.process_time() - start, time.perf_counter() - wall

    def fasttext_cpu(*jobs):
        start = time.process_time()
        for texts, labels, name, multi in jobs:
            train_fasttext(texts, labels, workdir / name, multi=multi)
        return time.process_time() - start

    schema = LabelSchema.from_toml(ROOT / "labels" / "schema.toml")
    with_stance = [r for r in gold if r.get("stance")]
    counts = Counter(r["meta"].get("theme_main") for r in belgian)
    themes = [r for r in belgian if counts[r["meta"].get("theme_main")] >= MIN_THEME and r["meta"].get("theme_main")]
    be_records = [{"id": r["id"], "question": r["question"], "topics": [r["meta"]["theme_main"]]} for r in themes]
    runs: dict[str, list] = {"gold": [], "ft_gold": [], "be": [], "ft_be": []}
    for _ in range(ROUNDS):  # interleaved rounds, best of each (the first also pays scikit-learn's import)
        runs["gold"].append(one_thread(lambda: classify.train(gold, schema, cv=0)))
        runs["ft_gold"].append(fasttext_cpu(
            ([r["question"] for r in gold], [r.get("topics") or ["none"] for r in gold], "t1.txt", True),
            ([f"{r['question']} {r['answer'] or ''}" for r in with_stance], [[r["stance"]] for r in with_stance], "t2.txt", False)))
        runs["be"].append(one_thread(lambda: classify.train(be_records, cv=0)))
        runs["ft_be"].append(fasttext_cpu(([r["question"] for r in themes], [[r["meta"]["theme_main"]] for r in themes], "t3.txt", False)))
    start = time.perf_counter()
    classify.train(be_records, cv=0)  # BLAS on every core: what a user waits for
    be_wall_all_cores = time.perf_counter() - start
    (ours_gold, ours_gold_wall), (ours_be, ours_be_wall) = min(runs["gold"]), min(runs["be"])
    return {"gold": {"records": len(gold), "classify_cpu_s": ours_gold, "classify_wall_s": ours_gold_wall, "fasttext_cpu_s": min(runs["ft_gold"])},
            "belgian_themes": {"records": len(themes), "classify_cpu_s": ours_be, "classify_wall_s": ours_be_wall,
                               "classify_wall_s_all_cores": be_wall_all_cores, "fasttext_cpu_s": min(runs["ft_be"])},
            "rounds": {k: [round(v if isinstance(v, float) else v[0], 2) for v in vals] for k, vals in runs.items()},
            "blas_threads": "1 (threadpoolctl) for the timed classify fits"}


def best_wall(code: str, runs: int = STARTUP_RUNS, args=None) -> float:
    """Best wall seconds of a fresh interpreter running ``code`` (or the arguments ``args``)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, *(args or ["-c", code])], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def timed_in_child(code: str, runs: int = STARTUP_RUNS) -> float:
    """Best of the seconds a child prints (it times only the part that matters)."""
    out = [float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True).stdout)
           for _ in range(runs)]
    return min(out)


def startup() -> dict:
    import classify

    bare = best_wall("pass")
    model_dir = classify.default_model_path()
    importtime = subprocess.run([sys.executable, "-X", "importtime", "-c", "import classify"], cwd=ROOT, capture_output=True, text=True)
    own = [line for line in importtime.stderr.splitlines() if line.rstrip().endswith("| classify")]
    return {
        "interpreter_seconds": bare,
        "import_seconds": best_wall("import classify"),
        "import_seconds_self_reported": int(own[-1].split("|")[1]) / 1e6 if own else None,
        "help_seconds": best_wall("", args=["-m", "classify", "--help"]),
        "load_seconds_cold": timed_in_child("import time; t = time.perf_counter(); import classify; classify.load(); print(time.perf_counter() - t)"),
        "first_label_seconds_cold": timed_in_child(
            "import time; t = time.perf_counter(); import classify; classify.load().predict(['Steunt u Oekraïne?'], ['Ja.']); "
            "print(time.perf_counter() - t)"),
        "label_document_seconds": best_wall("", args=["-m", "classify", "label", str(DEMO_DOCUMENT)]),
        "load_seconds_warm": timed_in_child("import time, classify, classify.persist, classify.topics, classify.stance, classify.cues\n"
                                            "t = time.perf_counter(); classify.load(); print(time.perf_counter() - t)"),
        "model_mb_on_disk": sum(p.stat().st_size for p in Path(model_dir).iterdir()) / MB,
    }


def memory(records, workdir: Path, case_numbers: bool = False) -> dict:
    """``classify label`` on a 2 GB archive of the records, repeated; with ``case_numbers`` every
    question also names a case number of its own (see :func:`write_jsonl`)."""
    big = workdir / ("archive-2gb-case-numbers.jsonl" if case_numbers else "archive-2gb.jsonl")
    if not big.exists() or big.stat().st_size < MEMORY_BYTES:
        n = write_jsonl(big, records, MEMORY_BYTES, case_numbers=case_numbers)
    else:
        with open(big, "rb") as handle:
            n = sum(1 for _ in handle)
    out = workdir / "archive-2gb.labelled.jsonl"
    result = label_cli(big, out)
    from classify._tokens import VOCABULARY

    result.update({"input_bytes": big.stat().st_size, "output_bytes": out.stat().st_size, "records": n,
                   "records_per_s_wall": n / result["wall"], "records_per_s_cpu": n / result["cpu"],
                   "token_limit": VOCABULARY.limit})
    out.unlink()
    return result


# -- report -------------------------------------------------------------------------------------
NOTES = """
## What changed

The featuriser (`classify/features.py`: same features, same fit/transform contract) no longer
works per token in Python. A batch of texts is tokenised as arrays of code points
(`classify/_tokens.py`: `\\w` runs by lookup table, a 64-bit polynomial hash per token, an
open-addressing table from hash to token id, shared by all featurisers; the question both heads
read is tokenised once). New tokens get their word and char n-gram hashes from a vectorised CRC-32
(`classify/_ngrams.py`, identical to `zlib.crc32`). The n-grams of every document are counted by a
scatter/gather in a dense table, in "slot" space (columns numbered in order of first sight, so the
table stays small and frequent n-grams share cache lines), with no sorting (`sum_duplicates` and
`np.unique` were the old bottleneck). The heads score with `FittedFeatures.dot` (`classify/fitted.py`), which never builds
the sparse matrix. `transform` still returns bit-for-bit the previous matrices
(`tests/test_ngrams.py` pins it against a plain reference), so training is unchanged; scores
differ from `transform(X) @ W` by float32 rounding only (above). The stance cues' 52
case-insensitive regexes run on the lowercased answer, only where a match can start and only when
the literal strings every match needs occur (`classify/_fastre.py`: exact, checked over all of
Unicode; ~6x faster).

## Compiled kernels (`pip install ".[fast]"`)

The numpy featuriser above runs a few array passes per n-gram; the work per record stayed
~370 us (2,700 records/s), 8.5x the pipeline and 0.35x fastText in the two runs before this
change. With numba installed (optional: the `fast` extra; `classify/_compiled.py` hands out the
kernels of `classify/_kernels.py`, and without numba or with `CLASSIFY_NO_JIT=1` the numpy paths
run) the hot loops are compiled:

- scoring (`score`): one loop per text counts its word, bigram and char n-gram slots (dense ids
  of the hashed columns in order of first sight; a token's word and char slots are cached with
  it, a batch's bigram slots come from `pair_slots`) in a dense scratch table (first occurrences
  listed branch-free), then adds `(1 + log count)` times the row `[idf, idf * weights]` of every
  touched slot, block by block, and divides by the block's norm. The rows sit in one table per
  weight matrix as small as the vocabulary seen (it grows by doubling), so the word block no
  longer reads `idf` and the 2**20-row weight matrix at random: in an A/B timer run (scratch,
  4,000 records, best of 5) that took the question's `dot` from 28.3 to 20.4 us and the answer's
  from 39.7 to 30.5 us, same scores up to float32 rounding;
- the cue phrases (`literals`): one pass per answer over its characters finds where the strings
  that the 52 patterns require (and the strings a match starts with) first occur. Each string is
  keyed by its rarest three characters by Dutch letter frequencies ("de bedoeling" by "bed",
  not by "de " at every other word: ~60 instead of ~220 lookups per answer), one key per
  position tested against a bitmap that stays in the L1 cache. Only patterns whose strings are
  all there run the regex engine, from where their leading strings first occur, and the
  opening-words pass reuses the same scan (`_fastre.Scan`; exact: tested equal to
  `pattern.search` on both paths, within any prefix too). ~12 -> ~5 us per answer for the scan;
- tokenising (`token_keys`, `probe`): the same polynomial token hashes and vocabulary ids as the
  numpy scan, in one loop;
- training (`count_rows`): the n-gram counts of each text as canonical CSR rows (the same
  matrices bit for bit, `tests/test_ngrams.py`), and `TextFeatures.fit_transform` counts once.

One pass per question serves both heads: `classify.train` gives the stance head the topic
head's question featuriser (same salt and IDF; the answer keeps its own salt), so `Model.predict`
scores the question once against the two heads' weight matrices side by side (`Model._shared_question`;
models trained before keep a question featuriser of their own and are scored head by head). In
an A/B timer run on 12,000 records (a scratch script, not kept: both models loaded in one
process, best of 4 alternating rounds) that took the shipped model from 7,716 to 9,425 records per
CPU second; the stance head's cross-validated macro F1 went from 0.5507 to 0.5515 (accuracy 0.639
to 0.644, in `models/default/README.md` at that commit; later retrains moved them to 0.553 and 0.645, reading words without accents to 0.551 and 0.643, and the "geïnformeerd" cue to 0.549 and 0.641). benchmarks/accuracy.py's gold_stance and audit_answers
tasks train stance-only models, which keep their own question featuriser, so RESULTS.md does not
see this change. With the slot-space word block and the keyed cue scan, an A/B timer run
(scratch, 12,000 records, the two commits in alternating processes, best of 4 per process) went
from 7,493-8,921 to 10,573-11,253 records per CPU second. The rest of a record's time (cProfile,
~87 us): the scoring loop over the question and the answer (~47 us; ~9,300 char n-gram counts per
record), the cue scan and regex confirmations (~20 us), tokenising (~10 us), bigram slots (~5 us)
and the Python around them (result dicts, batching). Runs of this
section vary with the VM: the peers' rates moved from 315 to 358 records/s (pipeline) and 6,908
to 8,487 (fastText, two models) between two runs of the same code on the same day, and fastText's
one-model rate from 9,147 to 11,091 over three runs on 2026-12-01 (classify 1.10-1.22x of it).

## Training, start-up, scale-out

Training on the 2017 Belgian themes cost six liblinear fits per label (one, plus five for the
out-of-fold calibration and threshold) for 18 labels: 68.9 CPU s against fastText's 10.7 in an
earlier run of this section (commit b33e7d1). The topic head's default loss is now `"auto"`
(`classify/topics.py`): every label with at least 20 positive examples is fitted by ridge
regression, all such labels as one system (`classify/ridge.py`): the Gram matrix of the questions
(BLAS on the columns in more than 8% of the texts, a float64 sparse product on the rest: 1.15 s
instead of 1.8 s with the earlier 2% split, on one core) is factored once, and the leave-one-out
score of every question, which calibrates and sets the thresholds, comes from the inverse's
diagonal, with no refits. All 18 themes go that way. On the gold corpus the two common topics
go the ridge way and the two rare ones (8 and 3 examples) keep the class-weighted linear SVM,
which finds them where unweighted ridge does not (benchmarks/RESULTS.md, ablations). Timing is
like for like: fastText trains on one thread, so classify's fits run with BLAS on one thread
(threadpoolctl), each round from an empty token vocabulary; with two BLAS threads the CPU
seconds rose (OpenBLAS threads spin while waiting: 3.8 CPU s for 2.4 s wall in a timer run)
while the wall time fell.

Loading and labelling import neither scikit-learn nor SciPy (`classify/fitted.py` holds the
numpy-only fitted halves of the estimators; `tests/test_fitted.py` checks the imports in a fresh
process). Importing `sklearn.base` alone took ~1.7-2.2 s of a fresh process here (it imports
scipy.stats and pandas), which was nearly all of the cold load before. What is left of a cold
`classify.load()`: numpy's import (~0.08 s), hashing the payload files, and filling the two dense
weight matrices (2^20 x 4 float32 each: first-touch page faults). With the `fast` extra the first
`predict` also imports numba and loads its cached kernels (~0.3 s, once per process; numba imports
scipy.linalg's BLAS bindings for itself). `classify --help` prints
click's plain help: typer's rich formatting imported rich and markdown-it, ~0.15 s of every
`--help` (0.27-0.35 s before, on this machine).

`--jobs N` and `--dask` on JSONL files (to JSONL) now hand the workers raw lines: each worker
(a loky process, or a Dask worker with the model scattered to it once) parses, checks, labels and
serialises its chunk (`classify.labelling.label_jsonl_lines`, byte for byte what one process
writes), and the main process only reads lines and writes the returned bytes. Other inputs and
formats keep the earlier split (the main process reads, checks and writes; the workers predict).
Before, on 50,000 records, efficiency was 72% (--jobs 2) and 33-50% (Dask), with JSON reading,
checking and writing over 40% of a record's time in the main process. The table above is on
200,000 records, so that the workers' start-up (loading numba's kernels and the model, ~1 s) is a
small part; the start-up column shows it. `--jobs 2` ran at 1.54x (77%) and 1.73x (86%) in the
first two runs of this table (commit 5d93dc1, `--jobs 1` 30-31 s); 1 MiB file buffers (commit
72ad0e4: an 8 KiB buffer cost a system call every two records) then made the single process
faster (`--jobs 1` 24.5 s, 8,161 records per wall second end to end), and the run above gives
1.55x (78%). What keeps `--jobs 2` from 2x on this 2-core machine is
the main process's share of the same two cores: ~20% of a core, mostly kernel time moving the
data (a timer run on 120,000 records: 0.67 s user, 1.76 s system in the main process for ~12 s
wall: lines into the workers' pipes, results out of them, the output file written). With more
cores than workers it would not compete; at ~20 us per record it can feed about 50,000 records
per second, some six to seven workers at this machine's per-core rate, beyond which one command's
main process is the limit (the README points larger clusters to `label_bag` on files the Dask
workers read themselves). An idle Dask LocalCluster in the benchmark process also
took enough CPU to lower `--jobs 2` to 1.23-1.27x in two runs, so the cluster is started only for
the Dask run. Dask's nanny starts workers with `MALLOC_TRIM_THRESHOLD_=65536`, which pins glibc's
mmap threshold and made every numpy temporary pay page faults (labelling 2.4x slower on a
worker); `classify.distributed` raises the thresholds in its worker tasks. The Dask run also
shares the two cores with the scheduler and the client.
"""

def verdicts(results) -> dict:
    t, tr, st = results["throughput"], results["training"], results["startup"]
    values = {
        "throughput_vs_sklearn": t["classify"] / t["sklearn_same_job"],
        "throughput_vs_fasttext_same_job": t["classify"] / t["fasttext_same_job"],
        "throughput_vs_fasttext_one_model": t["classify"] / t["fasttext_one_model"],
        "train_vs_fasttext_gold": tr["gold"]["classify_cpu_s"] / tr["gold"]["fasttext_cpu_s"],
        "train_vs_fasttext_belgian": tr["belgian_themes"]["classify_cpu_s"] / tr["belgian_themes"]["fasttext_cpu_s"],
        "import_seconds": st["import_seconds"],
        "help_seconds": st["help_seconds"],
        "load_seconds_warm": st["load_seconds_warm"],
        "load_seconds_cold": st["load_seconds_cold"],
        "model_mb_on_disk": st["model_mb_on_disk"],
    }
    if isinstance(results.get("memory"), dict):
        values["peak_rss_mb_2gb"] = results["memory"]["rss_mb"]
    out = {}
    for name, value in values.items():
        op, target = TARGETS[name]
        out[name] = {"value": round(value, 3), "target": f"{op} {target}", "met": value >= target if op == ">=" else value <= target}
    return out


def markdown(results) -> str:
    t, s, tr, st = results["throughput"], results["scale_out"], results["training"], results["startup"]
    v = results["verdicts"]
    mark = {True: "met", False: "**not met**"}
    lines = [
        "# Throughput, memory and scale-out",
        "",
        f"Measured by `python benchmarks/throughput.py --workdir WORKDIR` on {results['machine']} (a shared VM).",
        "Throughput figures are records per CPU second of the labelling process (best of "
        f"{ROUNDS} interleaved rounds; other load on this shared 2-core machine inflates wall time, not CPU time). "
        "All systems label the same records: question + answer records of `be_kamer_2017_qa.jsonl` "
        f"repeated to {t['records']:,} (the scikit-learn pipeline: the first {SKLEARN_RECORDS}).",
        "",
        *(["Sections re-run alone (`--sections`) compare only within themselves: "
           + "; ".join(f"{k}: {v}" for k, v in results["measured_at"].items()) + ".", ""]
          if results.get("measured_at") else []),
        "## Targets",
        "",
        "| target | measured | goal | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {r['value']} | {r['target']} | {mark[r['met']]} |" for name, r in v.items()]
    lines += [
        "",
        "## Labelling, one core",
        "",
        "| system (same job: topics of the question, stance of the answer) | records/s (CPU) | classify is |",
        "|---|---:|---:|",
        f"| classify (shipped model, `Model.predict`; `pip install \".[fast]\"`: numba kernels) | {t['classify']:,.0f} | 1.0x |",
        *([f"| classify without numba (numpy only: `pip install .`) | {t['classify_numpy_only']:,.0f} | {t['classify'] / t['classify_numpy_only']:.2f}x |"]
          if "classify_numpy_only" in t else []),
        f"| fastText `predict`, two models (topics; stance) | {t['fasttext_same_job']:,.0f} | {t['classify'] / t['fasttext_same_job']:.2f}x |",
        f"| fastText `predict`, one model on question + answer | {t['fasttext_one_model']:,.0f} | {t['classify'] / t['fasttext_one_model']:.2f}x |",
        f"| scikit-learn TfidfVectorizer (word 1-2, char_wb 2-5) + LogisticRegression | {t['sklearn_same_job']:,.0f} | {t['classify'] / t['sklearn_same_job']:.1f}x |",
        "",
        f"`classify label` end to end (JSONL in, JSONL out, {s.get('records', t['records']):,} records): "
        f"{s.get('records', t['records']) / s['jobs1']['cpu']:,.0f} records per CPU second, {s.get('records', t['records']) / s['jobs1']['wall']:,.0f} per wall second.",
        "",
        f"Fast path vs reference (`transform(X) @ W`) on {results['agreement']['records']:,} records: max |Δ probability| "
        f"{results['agreement']['max_abs_diff_topic_probability']:.1e} (topics), {results['agreement']['max_abs_diff_stance_probability']:.1e} (stance); "
        f"same labels: {results['agreement']['same_topic_labels'] and results['agreement']['same_stance_labels']}. The features are bit-for-bit "
        "those of a plain reference featuriser (re.findall, zlib.crc32 per n-gram, scikit-learn's normalize; tests/test_ngrams.py), the compiled and "
        "numpy paths give the same scores up to float32 rounding (tests/test_compiled.py) and the same cue matches exactly (tests/test_fastre.py): "
        "the speed costs no accuracy (benchmarks/RESULTS.md).",
        "",
        "## Scale-out",
        "",
        f"Whole `classify label` commands on {s['records']:,} records (an archive: JSONL in, JSONL out), wall seconds, "
        f"worker start-up included; the same commands on {STARTUP_PROBE} records measure that start-up, and the last "
        "column takes it out.",
        "",
        f"| run | wall s | wall s, {STARTUP_PROBE} records | speed-up | efficiency | efficiency after start-up | same output |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    names = {"jobs1": "`classify label --jobs 1`", "jobs2": "`classify label --jobs 2`",
             "dask": "`classify label --dask` (LocalCluster: 2 worker processes, 1 thread each)"}
    for key, name in names.items():
        if isinstance(s.get(key), dict):
            r = s[key]
            cells = ("1.00", "", "") if key == "jobs1" else (f"{r['speedup']:.2f}", f"{r['efficiency']:.0%}", f"{r['efficiency_after_startup']:.0%}")
            lines.append(f"| {name} | {r['wall']:.1f} | {r['probe_wall']:.1f} | {' | '.join(cells)} | {r['identical_output'] if key != 'jobs1' else ''} |")
    lines += [
        "",
        f"## Training (CPU seconds, fit only, best of {ROUNDS} interleaved rounds)",
        "",
        *(["Both on one thread: fastText `thread=1`, classify with BLAS limited to one thread (threadpoolctl). "
           f"With BLAS on both cores classify fits the Belgian themes in {tr['belgian_themes']['classify_wall_s_all_cores']:.1f} s wall "
           f"(one thread: {tr['belgian_themes']['classify_wall_s']:.1f} s).", ""]
          if "classify_wall_s_all_cores" in tr.get("belgian_themes", {}) else []),
        "| data | classify | fastText, 25 epochs | ratio |",
        "|---|---:|---:|---:|",
        f"| gold corpus ({tr['gold']['records']:,} records; topics + stance) | {tr['gold']['classify_cpu_s']:.1f} | {tr['gold']['fasttext_cpu_s']:.1f} | {tr['gold']['classify_cpu_s'] / tr['gold']['fasttext_cpu_s']:.2f} |",
        f"| 2017 Belgian set, main themes ({tr['belgian_themes']['records']:,} questions) | {tr['belgian_themes']['classify_cpu_s']:.1f} | {tr['belgian_themes']['fasttext_cpu_s']:.1f} | {tr['belgian_themes']['classify_cpu_s'] / tr['belgian_themes']['fasttext_cpu_s']:.2f} |",
        "",
        "## Start-up and size",
        "",
        f"- a bare interpreter: {st['interpreter_seconds']:.3f} s; `import classify`: {st['import_seconds']:.3f} s "
        f"(its own import time: {st['import_seconds_self_reported']:.3f} s); `classify --help`: {st['help_seconds']:.3f} s",
        f"- `classify.load()` of the shipped model: {st['load_seconds_warm']:.3f} s with the library imported, "
        f"{st['load_seconds_cold']:.3f} s in a fresh interpreter (`import classify; classify.load()`)",
        *([f"- a fresh interpreter's first prediction (import, load, `predict` of one record): {st['first_label_seconds_cold']:.3f} s; "
           f"`classify label` of the README's demo document (15 records), whole process: {st['label_document_seconds']:.3f} s"]
          if "first_label_seconds_cold" in st else []),
        f"- shipped model on disk: {st['model_mb_on_disk']:.1f} MB",
    ]
    if isinstance(results.get("memory"), dict):
        m = results["memory"]
        lines += ["", "## Memory", "",
                  f"`classify label` on a {m['input_bytes'] / 1024**3:.2f} GB JSONL file ({m['records']:,} records, output "
                  f"{m['output_bytes'] / 1024**3:.2f} GB written as it goes): peak RSS {m['rss_mb']:.0f} MB; "
                  f"{m['wall']:.0f} s wall, {m['records_per_s_cpu']:,.0f} records per CPU second (the target above)."]
        g = results.get("memory_growing_vocabulary")
        if isinstance(g, dict):
            lines += ["", f"The same records with a case number of their own in every question (\"zaak 2026Z0012345\"), so "
                      f"that the vocabulary keeps growing as in a real archive ({g['input_bytes'] / 1024**3:.2f} GB, "
                      f"{g['records']:,} records): peak RSS {g['rss_mb']:.0f} MB; {g['wall']:.0f} s wall, "
                      f"{g['records_per_s_cpu']:,.0f} records per CPU second (every new token's n-grams are hashed once; "
                      f"the token table is cleared at {g['token_limit']:,} tokens)."]
    lines += ["", NOTES.strip(), ""]
    return "\n".join(lines)


SECTIONS = ("throughput", "scale_out", "training", "startup", "memory")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True, help="scratch folder (the memory run writes ~5 GB there)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {','.join(SECTIONS)} to (re)measure; the others are kept from throughput.json")
    parser.add_argument("--quick", action="store_true", help="smoke test with few records (results not for reporting)")
    parser.add_argument("--report-only", action="store_true", help="re-render THROUGHPUT.md from throughput.json")
    args = parser.parse_args()
    out_json = ROOT / "benchmarks" / "throughput.json"
    sections = [x for x in args.sections.split(",") if x]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    results = json.loads(out_json.read_text(encoding="utf-8")) if out_json.exists() and (args.report_only or len(sections) < len(SECTIONS)) else {}
    if args.quick:
        global MIN_RECORDS, SKLEARN_RECORDS, ROUNDS, STARTUP_RUNS
        MIN_RECORDS, SKLEARN_RECORDS, ROUNDS, STARTUP_RUNS = 4000, 50, 1, 2
    if not args.report_only:
        measure(results, sections, args.workdir)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "classify"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        for section in sections:  # which code each section measured: sections may be re-run alone
            results.setdefault("measured_at", {})[section] = f"{time.strftime('%Y-%m-%d')}, commit {commit}{' + uncommitted classify/ changes' if dirty else ''}"
    results["verdicts"] = verdicts(results)
    out_json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (ROOT / "benchmarks" / "THROUGHPUT.md").write_text(markdown(results), encoding="utf-8")
    missed = [name for name, r in results["verdicts"].items() if not r["met"]]
    print("throughput: " + ("targets not met: " + ", ".join(missed) if missed else "all targets met"), file=sys.stderr)
    return 1 if missed else 0


def measure(results: dict, sections, workdir: Path) -> None:
    import classify

    def say(message):
        print(f"throughput: {message}", file=sys.stderr, flush=True)

    workdir.mkdir(parents=True, exist_ok=True)
    belgian = belgian_records()
    records = repeated(belgian, MIN_RECORDS)
    gold = gold_records()
    model = classify.load()
    results["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}"
    if "throughput" in sections:
        say("training the peers on the gold corpus")
        ft, sk = peers(gold, workdir)
        say("labelling throughput (interleaved rounds)")
        results["throughput"] = dict(throughput(model, records, ft, sk), records=len(records))
        results["agreement"] = fast_path_agreement(model, records[:BATCH])
    if "scale_out" in sections:
        say("scale-out")
        results["scale_out"] = scale_out(belgian, workdir)
    if "training" in sections:
        say("training times")
        results["training"] = training(gold, belgian, workdir)
    if "startup" in sections:
        say("start-up")
        results["startup"] = startup()
    if "memory" in sections:
        say("memory (2 GB files: the records repeated; the same with growing vocabulary)")
        results["memory"] = memory(belgian, workdir)
        results["memory_growing_vocabulary"] = memory(belgian, workdir, case_numbers=True)


if __name__ == "__main__":
    sys.exit(main())
