"""A tenant's training run as a data scientist writes it, run by the MLOps tests in the MLflow
virtualenv (.tools/mlflow) from a git checkout: it records the dataset it read (an S3 object
version), trains a model and registers it. Prints the run's ID and the model version.

Reads MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, and the
dataset URI and registered model name from its arguments.
"""

import json
import sys

import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression

dataset_uri, model_name = sys.argv[1], sys.argv[2]
frame = pd.DataFrame({"amount": [12.0, 980.5, 3.2, 450.0], "fraud": [0, 1, 0, 1]})
dataset = mlflow.data.from_pandas(frame, source=dataset_uri, name="transactions", targets="fraud")

mlflow.set_experiment("fraud-score")
with mlflow.start_run(run_name="baseline") as run:
    mlflow.log_input(dataset, context="training")
    model = LogisticRegression().fit(frame[["amount"]], frame["fraud"])
    mlflow.log_metric("train_accuracy", float(model.score(frame[["amount"]], frame["fraud"])))
    logged = mlflow.sklearn.log_model(
        model,
        name="model",
        registered_model_name=model_name,
        # Named, not inferred: inference imports the model in a subprocess (seconds).
        pip_requirements=["scikit-learn"],
    )

print(json.dumps({"run_id": run.info.run_id, "version": logged.registered_model_version}))
