"""One Model from several Python threads: results identical to serial calls; forward passes release the GIL."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

TEXTS = [
    "The cat sat on the mat.",
    "Unbelievable tokenization, isn't it?",
    "Attention lets every token look at every other token in the sentence.",
    "Students learn faster when examples are visual and interactive.",
    "Hello world!",
    "A much longer sentence, with several more words, to give the threads uneven work to share out.",
]


def test_thread_pool_equals_serial(minilm):
    items = [TEXTS[i % len(TEXTS)] for i in range(24)]
    serial = [minilm(t, output_qkv=True) for t in items]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda t: minilm(t, output_qkv=True), items))
        batches = list(pool.map(lambda i: minilm.batch(items[i : i + 3]), range(0, len(items), 3)))
    for s, p in zip(serial, parallel):
        assert s.tokens == p.tokens
        assert np.array_equal(s.attentions, p.attentions)
        assert np.array_equal(s.query, p.query)
        assert np.array_equal(s.last_hidden_state, p.last_hidden_state)
        assert np.array_equal(s.pooler_output, p.pooler_output)
    for s, p in zip(serial, [o for b in batches for o in b]):
        assert np.array_equal(s.attentions, p.attentions)


def test_forward_pass_releases_the_gil():
    """A Python thread keeps counting while the main thread is inside forward passes: compared with its
    rate while the main thread sleeps, it keeps a good share (held GIL: next to nothing)."""
    import attnlab
    from conftest import MINILM

    if not (MINILM / "model.safetensors").exists():
        pytest.skip("offline model missing")
    model = attnlab.Model(str(MINILM), threads=1)  # one core for the engine, one for the counter
    text = " ".join(["attention"] * 300)
    ticks = 0
    done = threading.Event()

    def count():
        nonlocal ticks
        while not done.is_set():
            ticks += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        t0, k0 = time.perf_counter(), ticks
        time.sleep(0.3)
        t1, k1 = time.perf_counter(), ticks
        for _ in range(3):
            model(text)
        t2, k2 = time.perf_counter(), ticks
    finally:
        done.set()
        counter.join()
    free_rate = (k1 - k0) / (t1 - t0)
    busy_rate = (k2 - k1) / (t2 - t1)
    assert busy_rate > 0.2 * free_rate, f"counter ran at {busy_rate:.0f}/s during forward passes, {free_rate:.0f}/s idle"
