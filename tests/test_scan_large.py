"""A scan's memory stays bounded however large the tree: parsed files wait for the writer
in a window of a few chunks, and each write transaction holds a bounded batch (issue 13)."""

from __future__ import annotations

from concurrent.futures import Future

from kairos_lsp import scan
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store


def _tree(root, files: int = 300) -> None:
    for i in range(files):
        folder = root / f"pkg{i % 7}"
        folder.mkdir(exist_ok=True)
        body = "".join(f"def f{j}(a, b=1):\n    '''Doc {j}.'''\n    return g(a) + h{j}(b)\n\n" for j in range(20))
        (folder / f"mod{i}.py").write_text(f'"""Module {i}."""\nimport os\n\n{body}')


class _Counted(Future):
    def __init__(self, pool: CountingPool):
        super().__init__()
        self.pool = pool

    def result(self, timeout=None):
        self.pool.waiting -= 1
        return super().result(timeout)


class CountingPool:
    """Stands in for the process pool: runs each chunk when it is submitted and counts the
    chunks parsed whose results the writer has not taken yet."""

    instances: list[CountingPool] = []

    def __init__(self, max_workers=None, mp_context=None, initializer=None):
        self.waiting = self.peak = self.submitted = 0
        CountingPool.instances.append(self)

    def submit(self, fn, *args):
        future = _Counted(self)
        future.set_result(fn(*args))
        self.submitted += 1
        self.waiting += 1
        self.peak = max(self.peak, self.waiting)
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def test_parsed_results_wait_in_a_bounded_window(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.setattr(scan, "ProcessPoolExecutor", CountingPool)
    CountingPool.instances.clear()
    store = Store(":memory:")
    report = scan_workspace(tmp_path, store, jobs=2)
    assert report.parsed == 300
    (pool,) = CountingPool.instances
    assert pool.submitted >= 4 * 2 * scan.IN_FLIGHT  # the tree is many windows long
    assert pool.peak <= 2 * scan.IN_FLIGHT
    serial = Store(":memory:")
    scan_workspace(tmp_path, serial, jobs=1)
    query = "SELECT subject, predicate, object, negated FROM observations ORDER BY 1, 2, 3, 4"
    assert store.db.execute(query).fetchall() == serial.db.execute(query).fetchall()


def test_each_write_holds_a_bounded_batch(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.setattr(scan, "BATCH", 40)
    monkeypatch.setattr(scan, "BATCH_TRIPLES", 2000)
    batches: list[tuple[int, int]] = []
    store = Store(":memory:")
    write = store.write

    def counted(batch, **kwargs):
        batch = list(batch)
        batches.append((len(batch), sum(len(item.triples or ()) for item in batch)))
        return write(batch, **kwargs)

    monkeypatch.setattr(store, "write", counted)
    report = scan_workspace(tmp_path, store, jobs=1)
    assert report.parsed == 300 and sum(files for files, _ in batches) == 300
    assert all(files <= 40 for files, _ in batches)
    per_file = store.db.execute("SELECT count(*) FROM observations").fetchone()[0] // 300
    # A batch is written as soon as it reaches the limit: one file past it at most.
    assert all(triples < 2000 + per_file for _, triples in batches)
    assert len(batches) > 300 // 40
