"""Reference figures for tests/integration/reference.rs: OLS on a table wider than tall, the first
10 rows of datasets/diabetes.csv (10 features, 8 training rows a fold), scored under
KFold(5, shuffle=False). scikit-learn's LinearRegression returns the least-squares weights of
smallest norm (LAPACK's gelsd) when the training rows do not determine the weights.

Run from the repository root:
    python tests/data/wide_linear.py > tests/data/wide_linear.json
"""
import json

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold

ROWS = 10
df = pd.read_csv("datasets/diabetes.csv").head(ROWS)
y = df.pop("progression").to_numpy()
x = df.to_numpy()
rmse = []
for train, test in KFold(5, shuffle=False).split(x):
    model = LinearRegression().fit(x[train], y[train])
    rmse.append(float(np.sqrt(np.mean((model.predict(x[test]) - y[test]) ** 2))))
print(json.dumps({
    "_notes": f"scikit-learn {sklearn.__version__}; the first {ROWS} rows of diabetes.csv, target "
              "'progression'; LinearRegression() under KFold(5, shuffle=False)",
    "ols": {"rows": ROWS, "cv5_contiguous_fold_rmse": rmse},
}, indent=2))
