#!/usr/bin/env python3
"""Train scikit-learn's GradientBoostingRegressor (default settings) and save it as an MLflow model.

    mlflow_model.py OUTDIR DATA.csv TARGET [--seed N]

Every column of DATA.csv but TARGET is a feature (they must be numeric, as in diabetes.csv). The model
is fitted on all the rows with its default hyperparameters (random_state=SEED, default 0, so that two
runs give the same model) and written with `mlflow.sklearn.save_model` to OUTDIR, which must not exist
yet (MLflow refuses to overwrite). An input example (the first 5 feature rows) and the signature inferred
from it are saved too, so the served model knows its column names and types: `mlflow models serve`
then checks requests against the schema (missing column -> 400) and reorders columns by name.

Run it with the venv that has mlflow and scikit-learn, e.g. ~/.cache/automl-mlflow-3.17.2/bin/python.
"""
import argparse
import os
import sys

import pandas as pd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("data")
    ap.add_argument("target")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    if os.path.exists(a.outdir):
        sys.exit(f"mlflow_model.py: {a.outdir} exists already (MLflow will not overwrite a model folder)")
    df = pd.read_csv(a.data)
    if a.target not in df.columns:
        sys.exit(f"mlflow_model.py: no column {a.target!r} in {a.data} (columns: {', '.join(df.columns)})")
    X = df.drop(columns=[a.target])
    y = df[a.target]
    non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if non_numeric:
        sys.exit(f"mlflow_model.py: non-numeric feature columns {non_numeric}; this script fits numeric data only")
    # Float columns everywhere: the signature then says double for every input, and integer-looking JSON
    # values (e.g. sex=2) are accepted and converted by MLflow's schema enforcement.
    X = X.astype("float64")

    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.ensemble import GradientBoostingRegressor

    model = GradientBoostingRegressor(random_state=a.seed).fit(X, y)
    example = X.head(5)
    signature = infer_signature(example, model.predict(example))
    # MLflow 3.x saves scikit-learn models with skops (not pickle) and checks on save that the file loads;
    # skops refuses types it does not trust by default (for GradientBoosting: sklearn.tree._tree.Tree). We
    # made this model ourselves, so the types it needs are listed as trusted; MLflow records them in the
    # model folder and `mlflow models serve` loads with the same list.
    import skops.io
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    mlflow.sklearn.save_model(model, a.outdir, signature=signature, input_example=example,
                              skops_trusted_types=trusted)
    print(f"saved GradientBoostingRegressor (n_estimators={model.n_estimators_}, {X.shape[1]} features, "
          f"{X.shape[0]} rows, train R2 {model.score(X, y):.4f}; skops trusted types {trusted}) to {a.outdir}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
