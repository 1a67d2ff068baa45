"""Benchmark of ``classify suggest``: does annotating its suggestions beat annotating at random?

What is measured, and against what: a simulated annotation loop on the gold corpus (labels/, texts
from ``../shared/data``). The corpus is split into a held-out TEST set and a POOL, grouped by
source document (siblings of one document never straddle the split), in SPLITS different ways:
the topic positives are so few (13 / 4 / 15 / 2 in one test set) that one split decides the
verdict by itself (the saving measured 11 % on split seed 0 and 28 % on split seed 1 with the
same code). For every split, each repetition draws a random START set of START_SIZE records from
the pool; then, for ROUNDS rounds, both arms add BATCH_SIZE pool records whose gold labels are
revealed ("annotated"), retrain, and are evaluated on TEST:

- ``suggest``: the batch is :func:`classify.suggest.suggest` of the current model over the
  unannotated pool (the same function, defaults included, as ``classify suggest``);
- ``random``: the batch is drawn uniformly from the unannotated pool.

Both arms of a repetition share the split, the seed, the start set and everything else;
repetitions differ in the start set and the random draws (SEEDS). Models are trained exactly as
``classify train`` fits its final model (``classify.training.fit_heads``, same parameters,
calibration folds CALIBRATION_CV), only without the outer cross-validation, which the loop does
not need.

Reported per round (mean over splits and seeds, and per split and seed in the JSON): topic macro
F1 (4 labels), stance macro F1 (4 labels) and their mean, the headline. The verdict, on those
means: how many annotations ``suggest`` needs to reach the ``random`` arm's final headline figure,
versus the random arm's final count (also per split, which is where the noise lives), and in how
many repetitions ``suggest`` ends ahead of its paired ``random`` arm.
Exit code 1 when suggestion does not save at least MIN_SAVING of the annotations (a regression).

Caveat, stated in the report: topic positives are very rare (shadow_fleet 3, military_mobility 8
in 2,304), so the topic figures rest on a handful of test records and move in steps.

Run: ``python benchmarks/active_learning.py`` (about 15 minutes on 2 cores; ``--quick`` for a smoke run;
``--explore 0`` for the ablation without suggest's random share).
Writes benchmarks/active_learning.json, benchmarks/ACTIVE_LEARNING.md (table between the
``<!-- results -->`` markers) and benchmarks/active_learning.png.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA_DIR = Path(os.environ.get("CLASSIFY_DATA_DIR", REPO.parent / "shared" / "data"))
# rounds 1-2 only: labels/round3.jsonl was chosen by a model's flags, which would bias the simulated pool
ANNOTATIONS = [REPO / "labels" / "seed.jsonl", REPO / "labels" / "annotations.jsonl"]
SCHEMA = REPO / "labels" / "schema.toml"
OUT_JSON = REPO / "benchmarks" / "active_learning.json"
OUT_MD = REPO / "benchmarks" / "ACTIVE_LEARNING.md"
OUT_PNG = REPO / "benchmarks" / "active_learning.png"

TEST_SHARE = 0.3  # share of source documents held out for evaluation
SPLITS = 5  # held-out test sets: the first SPLITS qualifying split seeds, see test_splits()
START_SIZE = 100  # records annotated before the first round (random, shared by both arms)
BATCH_SIZE = 50  # records added per round
ROUNDS = 16  # rounds after the start: final budget START_SIZE + ROUNDS * BATCH_SIZE = 900
SEEDS = tuple(range(10))  # repetitions per split (start set and random draws): 5 x 10 = 50 curves per arm
CALIBRATION_CV = 5  # folds of the per-label calibration inside each fit, as in classify train
PARAMS: dict = {}  # training parameters: classify's defaults
MIN_SAVING = 0.2  # suggestion must save at least this share of the random arm's final annotations
WORKERS = 2  # parallel processes (one per arm, split and seed)
SUGGEST_OPTIONS: dict = {}  # suggest's defaults, as `classify suggest` uses them (--explore overrides)


def load_gold():
    from classify.annotations import from_rows, hydrate
    from classify.schema import LabelSchema

    schema = LabelSchema.from_toml(SCHEMA)
    records, missing = hydrate([str(p) for p in ANNOTATIONS], DATA_DIR)
    if missing:
        sys.exit(f"{len(missing)} annotated ids are missing from {DATA_DIR} (first {missing[0]!r}); cannot run.")
    data = from_rows(((f"record {i + 1}", r) for i, r in enumerate(records)), schema)
    return schema, data


def test_splits(data, schema, n=SPLITS):
    """``n`` (test indices, pool indices, split seed) triples, grouped by source document.

    The first ``n`` GroupShuffleSplit seeds (from 0 on) whose test set holds at least one positive of
    every topic label and whose pool holds at least one too are used: otherwise a label's F1 is
    undefined on the test set or unlearnable from the pool. The choice looks at labels only, never
    at any result.
    """
    from sklearn.model_selection import GroupShuffleSplit

    from classify.model import indicator

    Y = indicator(data.topics, schema.topics)
    groups = data.groups()
    found = []
    for seed in range(1000):
        pool, test = next(GroupShuffleSplit(n_splits=1, test_size=TEST_SHARE, random_state=seed).split(Y, groups=groups))
        if Y[test].sum(0).min() >= 1 and Y[pool].sum(0).min() >= 1:
            found.append((np.sort(test), np.sort(pool), seed))
            if len(found) == n:
                return found
    raise SystemExit(f"only {len(found)} of 1000 splits put every topic label on both sides; lower TEST_SHARE or --splits.")


def subset(data, index):
    from classify.training import _subset

    return _subset(data, list(index))


def fit(data, schema, seed):
    from classify.model import Model
    from classify.training import fit_heads

    topics, stance = fit_heads(data, schema, seed=seed, cv=CALIBRATION_CV, params=PARAMS)
    return Model(schema, topics, stance)


def score(model, test) -> dict:
    report = model.evaluate(test)
    topics = report.get("topics", {})
    stance = report.get("stance", {})
    out = {
        "topic_macro_f1": topics.get("macro_f1", 0.0),
        "stance_macro_f1": stance.get("macro_f1", 0.0),
        "topic_f1": {k: v["f1"] for k, v in topics.get("per_label", {}).items()},
    }
    out["macro_f1"] = (out["topic_macro_f1"] + out["stance_macro_f1"]) / 2
    return out


def run_arm(args):
    """One arm of one repetition on one split: per-round results (annotation count, scores, positives found)."""
    arm, split, seed, rounds, data, schema, test_index, pool_index = args
    from classify.model import indicator
    from classify.suggest import suggest

    test = subset(data, test_index)
    rng = np.random.default_rng(seed)
    labelled = list(rng.choice(pool_index, START_SIZE, replace=False))
    Y = indicator(data.topics, schema.topics)
    curve = []
    for r in range(rounds + 1):
        t0 = time.time()
        model = fit(subset(data, labelled), schema, seed)
        result = score(model, test)
        result.update(round=r, annotations=len(labelled), topic_positives=int(Y[labelled].any(axis=1).sum()),
                      with_stance=int(sum(data.stances[i] is not None for i in labelled)))
        if r == rounds:
            curve.append(result)
            break
        taken = set(labelled)
        rest = [i for i in pool_index if i not in taken]
        if arm == "random":
            batch = list(rng.choice(rest, BATCH_SIZE, replace=False))
        else:
            rows = [{"id": data.ids[i], "question": data.questions[i], "answer": data.answers[i]} for i in rest]
            picked = suggest(model, rows, n=BATCH_SIZE, exclude_ids={data.ids[i] for i in labelled}, **SUGGEST_OPTIONS)
            position = {data.ids[i]: i for i in rest}
            batch = [position[p["id"]] for p in picked]
        labelled += batch
        result["seconds"] = round(time.time() - t0, 1)
        curve.append(result)
        print(f"  {arm:<8} split {split} seed {seed} round {r:>2}: n={result['annotations']:>4} topics {result['topic_macro_f1']:.3f} "
              f"stance {result['stance_macro_f1']:.3f} ({result['seconds']}s)", file=sys.stderr, flush=True)
    return arm, split, seed, curve


def needed(curve_x, curve_y, target):
    """First annotation count at which a curve reaches ``target`` (None if never)."""
    for x, y in zip(curve_x, curve_y, strict=True):
        if y >= target - 1e-12:
            return int(x)
    return None


def summarise(results):
    """Mean curves per arm, and the verdict per metric: the saving, and the paired comparison of the
    two arms of each repetition (same split, seed and start set)."""
    arms = {}
    for arm in ("suggest", "random"):
        curves = [c for a, _, _, c in results if a == arm]
        x = [row["annotations"] for row in curves[0]]
        summary = {"annotations": x}
        for metric in ("macro_f1", "topic_macro_f1", "stance_macro_f1"):
            values = np.array([[row[metric] for row in c] for c in curves])
            summary[metric] = values.mean(0).round(4).tolist()
            summary[metric + "_sd"] = values.std(0).round(4).tolist()
        summary["topic_positives"] = np.mean([[row["topic_positives"] for row in c] for c in curves], 0).round(1).tolist()
        summary["with_stance"] = np.mean([[row["with_stance"] for row in c] for c in curves], 0).round(1).tolist()
        summary["topic_f1"] = {label: np.mean([[row["topic_f1"].get(label, 0.0) for row in c] for c in curves], 0).round(4).tolist()
                               for label in curves[0][0]["topic_f1"]}
        arms[arm] = summary
    by_key = {(a, split, seed): c for a, split, seed, c in results}
    pairs = [(c, by_key["random", split, seed]) for (a, split, seed), c in by_key.items() if a == "suggest"]
    verdict = {}
    for metric in ("macro_f1", "topic_macro_f1", "stance_macro_f1"):
        gaps = np.array([[x[metric] - y[metric] for x, y in zip(s, r, strict=True)] for s, r in pairs])
        target = arms["random"][metric][-1]
        need = needed(arms["suggest"]["annotations"], arms["suggest"][metric], target)
        final = arms["random"]["annotations"][-1]
        verdict[metric] = {
            "random_final": target,
            "random_annotations": final,
            "suggest_annotations_to_match": need,
            "saving": None if need is None else round(1 - need / final, 3),
            "suggest_final": arms["suggest"][metric][-1],
            "repetitions": len(pairs),
            "ahead_at_end": int((gaps[:, -1] > 0).sum()),
            "mean_gap": round(float(gaps[:, 1:].mean()), 4),  # over the rounds after the shared start
        }
    return arms, verdict


def plot(arms, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(20, 4.2), sharex=True)
    titles = {"macro_f1": "mean of topic and stance macro F1", "topic_macro_f1": "topic macro F1 (4 labels)",
              "stance_macro_f1": "stance macro F1 (4 labels)"}
    for ax, metric in zip(axes, titles, strict=False):
        for arm, colour in (("suggest", "tab:blue"), ("random", "tab:orange")):
            x = np.array(arms[arm]["annotations"])
            y, sd = np.array(arms[arm][metric]), np.array(arms[arm][metric + "_sd"])
            ax.plot(x, y, marker="o", ms=3, color=colour, label=arm)
            ax.fill_between(x, y - sd, y + sd, color=colour, alpha=0.15)
        ax.axhline(arms["random"][metric][-1], color="tab:orange", ls=":", lw=1)
        ax.set_title(titles[metric])
        ax.set_xlabel("annotated records")
        ax.grid(alpha=0.3)
    for arm, colour in (("suggest", "tab:blue"), ("random", "tab:orange")):
        axes[3].plot(arms[arm]["annotations"], arms[arm]["topic_positives"], marker="o", ms=3, color=colour, label=arm)
    axes[3].set_title("annotated records that carry a topic")
    axes[3].set_xlabel("annotated records")
    axes[3].grid(alpha=0.3)
    axes[0].set_ylabel("held-out F1 (mean over splits and seeds, band = 1 sd)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def table(arms, verdict, meta) -> str:
    splits = meta["splits"]
    lines = [
        f"{len(splits)} held-out test splits (split seeds {[m['split_seed'] for m in splits]}; "
        f"{min(m['n_test'] for m in splits)}-{max(m['n_test'] for m in splits)} test records each, "
        "topic positives per split below), "
        f"repetition seeds {meta['seeds']} on each; start {START_SIZE}, +{BATCH_SIZE} per round. "
        "Mean over splits and seeds (sd in the JSON and the plot).",
        "",
        "| annotated | suggest: mean F1 | random: mean F1 | suggest: topic F1 | random: topic F1 | suggest: stance F1 "
        "| random: stance F1 | topic positives annotated (suggest / random) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    s, r = arms["suggest"], arms["random"]
    for i, n in enumerate(s["annotations"]):
        lines.append(
            f"| {n} | {s['macro_f1'][i]:.3f} | {r['macro_f1'][i]:.3f} "
            f"| {s['topic_macro_f1'][i]:.3f} | {r['topic_macro_f1'][i]:.3f} "
            f"| {s['stance_macro_f1'][i]:.3f} | {r['stance_macro_f1'][i]:.3f} "
            f"| {s['topic_positives'][i]:.1f} / {r['topic_positives'][i]:.1f} |"
        )
    lines += ["",
              "| metric | random's final figure (at n) | suggest reaches it at | annotations saved | suggest's final figure "
              "| suggest ahead at the end (repetitions) | mean gap over the rounds |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for metric, v in verdict.items():
        reach = "never" if v["suggest_annotations_to_match"] is None else str(v["suggest_annotations_to_match"])
        saving = "-" if v["saving"] is None else f"{100 * v['saving']:.0f}%"
        lines.append(f"| {metric} | {v['random_final']:.3f} ({v['random_annotations']}) | {reach} | {saving} "
                     f"| {v['suggest_final']:.3f} | {v['ahead_at_end']} of {v['repetitions']} | {v['mean_gap']:+.3f} |")
    lines += ["", "Topic F1 per label (mean over splits and seeds):", "",
              "| annotated | arm | " + " | ".join(s["topic_f1"]) + " |", "|---:|---|" + "---:|" * len(s["topic_f1"])]
    for i, n in enumerate(s["annotations"]):
        if i and (i % 4 == 0 or i == len(s["annotations"]) - 1):
            for arm, a in (("suggest", s), ("random", r)):
                lines.append(f"| {n} | {arm} | " + " | ".join(f"{v[i]:.3f}" for v in a["topic_f1"].values()) + " |")
    lines += ["", "Per split (mean over its seeds): annotations saved reaching random's final figure.", "",
              "| split seed | test records | test topic positives | with stance | mean F1 | topic F1 | stance F1 |",
              "|---:|---:|---|---:|---:|---:|---:|"]
    for m in splits:
        cells = ["never" if m["verdict"][k]["saving"] is None else f"{100 * m['verdict'][k]['saving']:.0f}%"
                 for k in ("macro_f1", "topic_macro_f1", "stance_macro_f1")]
        positives = " / ".join(str(v) for v in m["test_topic_positives"].values())
        lines.append(f"| {m['split_seed']} | {m['n_test']} | {positives} | {m['test_stance']} | {' | '.join(cells)} |")
    return "\n".join(lines)


def write_markdown(text: str) -> None:
    start, end = "<!-- results -->", "<!-- /results -->"
    body = f"{start}\n{text}\n{end}"
    if OUT_MD.exists() and start in OUT_MD.read_text(encoding="utf-8"):
        old = OUT_MD.read_text(encoding="utf-8")
        OUT_MD.write_text(old[: old.index(start)] + body + old[old.index(end) + len(end) :], encoding="utf-8")
    else:
        OUT_MD.write_text(f"# Active learning: suggest vs random\n\n{body}\n", encoding="utf-8")


def _suggest_defaults() -> dict:
    import inspect

    from classify.suggest import suggest

    params = inspect.signature(suggest).parameters
    return {**{k: params[k].default for k in ("diversity", "explore", "candidates") if k in params}, **SUGGEST_OPTIONS}


def _code_version() -> str:
    """The commit measured, marked dirty when the working tree differs from it (results depend on the code)."""
    import subprocess

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        commit = commit.stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "classify"], cwd=REPO, capture_output=True, text=True)
        dirty = dirty.stdout.strip()
    except OSError:
        return "unknown"
    return commit + (" + uncommitted changes in classify/" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 3 rounds, nothing written")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds after the start (default {ROUNDS})")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)), help="comma-separated repetition seeds (per split)")
    parser.add_argument("--splits", type=int, default=SPLITS, help=f"held-out test splits (default {SPLITS})")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--explore", type=float, default=None, help="suggest's random share (default: suggest's own default)")
    parser.add_argument("--report-only", action="store_true", help="re-render the table and plot from active_learning.json")
    args = parser.parse_args()
    if args.report_only:
        saved = json.loads(OUT_JSON.read_text(encoding="utf-8"))
        results = [(r["arm"], r["split_seed"], r["seed"], r["curve"]) for r in saved["runs"]]
        return report(results, saved["meta"], write=not args.no_write)
    seeds, rounds = ((0,), 3) if args.quick else (tuple(int(s) for s in args.seeds.split(",")), args.rounds)
    n_splits = 1 if args.quick else args.splits
    if args.explore is not None:
        SUGGEST_OPTIONS["explore"] = args.explore
    t0 = time.time()
    schema, data = load_gold()
    splits = test_splits(data, schema, n_splits)
    from classify.model import indicator

    Y = indicator(data.topics, schema.topics)
    jobs = [(arm, split_seed, seed, rounds, data, schema, test_index, pool_index)
            for test_index, pool_index, split_seed in splits for seed in seeds for arm in ("suggest", "random")]
    if WORKERS > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
            results = pool.map(run_arm, jobs, chunksize=1)
    else:
        results = [run_arm(job) for job in jobs]
    meta = {
        "splits": [{
            "split_seed": split_seed, "n_test": len(test_index), "n_pool": len(pool_index),
            "test_topic_positives": {t: int(Y[test_index, j].sum()) for j, t in enumerate(schema.topics)},
            "pool_topic_positives": {t: int(Y[pool_index, j].sum()) for j, t in enumerate(schema.topics)},
            "test_stance": int(sum(data.stances[i] is not None for i in test_index)),
        } for test_index, pool_index, split_seed in splits],
        "seeds": list(seeds),
        "start": START_SIZE, "batch": BATCH_SIZE, "rounds": rounds, "calibration_cv": CALIBRATION_CV, "params": PARAMS,
        "minutes": round((time.time() - t0) / 60, 1),
        "code": _code_version(),
        "suggest_defaults": _suggest_defaults(),
    }
    return report(results, meta, write=not (args.quick or args.no_write))


def report(results, meta, write: bool) -> int:
    """Print the table; with ``write`` also the JSON, the markdown table and the plot. Exit code."""
    arms, verdict = summarise(results)
    for entry in meta["splits"]:
        entry["verdict"] = summarise([r for r in results if r[1] == entry["split_seed"]])[1]
    text = table(arms, verdict, meta)
    print(text)
    if not write:
        return 0
    runs = [{"arm": a, "split_seed": sp, "seed": s, "curve": c} for a, sp, s, c in results]
    OUT_JSON.write_text(json.dumps({"meta": meta, "arms": arms, "verdict": verdict, "runs": runs}, indent=1) + "\n",
                        encoding="utf-8")
    write_markdown(text)
    plot(arms, OUT_PNG)
    saving = verdict["macro_f1"]["saving"]
    if saving is None or saving < MIN_SAVING:
        print(f"REGRESSION: suggestion saves {saving} of the annotations (< {MIN_SAVING})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
