"""The baseline: a Flask endpoint that reads the body and does nothing, served the same way."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/v1/batch")
@app.post("/v1/track")
def accept() -> dict[str, bool]:
    request.get_data()
    return {"success": True}
