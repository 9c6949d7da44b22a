"""Reference figures for tests/integration/reference.rs: scikit-learn classifiers fitted on every
row of a bundled dataset (features standardised with StandardScaler where automl standardises),
their training log loss and the class probabilities of a few rows.

Run with scikit-learn 1.4 from the repository root:
    python tests/data/classification_models.py > tests/data/classification_models.json
"""
import json

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler

ROWS = [0, 1, 2, 50, 100, 149]
cases = {"_notes": f"scikit-learn {sklearn.__version__}; probabilities of rows {ROWS} in class order "
         "(labels sorted); lr: LogisticRegression(C, tol=1e-12, max_iter=100000) on standardised "
         "features; nb: GaussianNB() on raw features"}
for name, target in [("iris", "species"), ("breast_cancer", "diagnosis")]:
    df = pd.read_csv(f"datasets/{name}.csv")
    x, y = df.drop(columns=[target]).to_numpy(), df[target].to_numpy()
    scaled = StandardScaler().fit_transform(x)
    models = {f"lr c={c:g}": (LogisticRegression(C=c, tol=1e-12, max_iter=100000), scaled)
              for c in [0.1, 1.0, 10.0]}
    models["nb var_smoothing=0.000000001"] = (GaussianNB(), x)
    for label, (model, features) in models.items():
        model.fit(features, y)
        proba = model.predict_proba(features)
        cases[f"{name} {label}"] = {
            "classes": [str(c) for c in model.classes_],
            "log_loss": log_loss(y, proba),
            "rows": ROWS,
            "proba": proba[ROWS].tolist(),
        }
print(json.dumps(cases, indent=1))
