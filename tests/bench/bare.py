"""A bare Flask app: the baseline that the benchmarks compare the CMS against."""

from flask import Flask

app = Flask(__name__)

PAYLOAD = {"id": 1, "headline": "Baseline", "body": "A short paragraph. " * 40}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/article")
def article():
    return PAYLOAD


@app.patch("/article")
def write_article():
    return PAYLOAD
