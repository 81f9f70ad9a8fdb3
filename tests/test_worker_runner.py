"""Loading the MODULE:FUNCTION handler and the entry point's exit codes."""

from __future__ import annotations

import pytest

from worker.runner import HandlerError, load_handler, main


def test_load_handler_imports_a_module_function():
    handler = load_handler("json:dumps")
    assert handler({"a": 1}) == '{"a": 1}'


@pytest.mark.parametrize(("spec", "message"), [
    ("json", "must look like package.module:function"),
    ("no_such_module_xyz:run", "cannot import module 'no_such_module_xyz'.*searched first"),
    ("json:nothing_here", "'json' has no 'nothing_here'"),
    ("json:__doc__", "is not callable"),
])
def test_load_handler_says_what_is_wrong_when_the_spec_is_bad(spec, message):
    with pytest.raises(HandlerError, match=message):
        load_handler(spec)


def test_main_exits_2_with_the_reason_when_no_broker_is_configured(monkeypatch, capsys):
    for name in ("QUEUE_URL", "REDIS_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert main(["json:dumps"]) == 2
    assert "neither QUEUE_URL" in capsys.readouterr().err


def test_worker_imports_neither_pulumi_nor_the_rest_of_qcap(tmp_path):
    """What the example Dockerfile copies (capacity/limits.py, capacity/contract.py and worker/) is all the
    worker loads: every capacity and worker module comes from the copy, not the editable install."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    (tmp_path / "capacity").mkdir()
    for name in ("__init__.py", "limits.py", "contract.py"):
        shutil.copy(repo / "capacity" / name, tmp_path / "capacity" / name)
    shutil.copytree(repo / "worker", tmp_path / "worker")
    code = ("import sys, worker.sqs, worker.redis_queue, worker.runner; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'components', 'policies', 'qcap', "
            "'pydantic', 'typer', 'boto3', 'redis'})); "
            "print(sorted(n for n, m in sys.modules.items() if n.split('.')[0] in ('capacity', 'worker') "
            f"and not str(getattr(m, '__file__', '')).startswith({str(tmp_path)!r})))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["['boto3', 'redis']", "[]"]


def test_python_m_worker_names_the_missing_module_and_the_directory_it_searched_as_qcap_worker_does(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "worker", "app.handlers:handle"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(repo), "QUEUE_URL": "http://127.0.0.1:1/q"})
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"qcap worker: cannot import module 'app' for handler 'app.handlers:handle': there is no app.py or app/ "
        f"package in {tmp_path} (the current directory, searched first) nor on the Python path; run the worker "
        "from the directory that holds it, or add that directory to PYTHONPATH")


def test_a_handler_module_that_imports_a_missing_package_is_reported_as_that_import_not_as_a_missing_handler(
        tmp_path, monkeypatch):
    (tmp_path / "needs_more.py").write_text("import not_installed_anywhere_xyz\n\ndef handle(message):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(HandlerError, match="cannot import 'needs_more'.*No module named 'not_installed_anywhere_xyz'"):
        load_handler("needs_more:handle")
