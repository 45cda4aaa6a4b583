"""examples/attention_notebook.ipynb executed with nbclient + ipykernel: it runs without error, and the
tokens and [CLS] rows it prints equal the CLI's (`attnlab attention SENTENCE`) for the same model."""
import os

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import MINILM, ROOT, offline_env, run_cli

SENTENCES = ["The cat sat on the mat.", "Students learn faster when examples are visual and interactive."]


def test_notebook_runs_and_prints_the_clis_rows(tmp_path, monkeypatch):
    if not (MINILM / "model.safetensors").exists():
        pytest.skip("offline model missing")
    # The notebook opens the default model; here that is the offline MiniLM (no bert-base-uncased cached),
    # for the notebook's kernel and the CLI alike.
    env = offline_env(tmp_path)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    nb = nbformat.read(ROOT / "examples" / "attention_notebook.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    stdout = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                     if o.output_type == "stream" and o.name == "stdout")
    for sentence in SENTENCES:
        cli, _, _ = run_cli("attention", sentence, env=env)
        block = cli.decode().strip()
        assert "Tokens: [" in block and "[CLS] attention to each token:" in block
        assert block in stdout, f"the notebook's rows for {sentence!r} differ from the CLI's:\n{block}"

    mimes = [set(o.get("data", {})) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert sum("image/png" in m for m in mimes) == 2, "the two figures"
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "text/html" in o.get("data", {})]
    assert any(h.startswith("<iframe srcdoc=") for h in html), "the inline viewer"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
