"""What reaches the terminal: usage errors, exit statuses, text printed verbatim.

Most cases run the console script in a real process (as a user would), because the
endings under test — click's usage errors, the last-resort handler, Rich printing —
behave differently under ``CliRunner``.  Exit statuses follow the scheme in
:mod:`allychain.cli.console` (0 ok, 1 failed computation, 2 usage, 3 invalid input,
4 environment, 70 internal error).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from allychain.cli.console import EXIT_CODES, exit_code_for
from allychain.cli.main import main
from allychain.errors import (
    AllychainError,
    AuthenticationError,
    DataError,
    DisclosureError,
    DownloadError,
    InfeasibleError,
    InvariantError,
    MissingExtraError,
    OutputError,
    PermissionDenied,
    Problem,
    ScenarioError,
    SolverError,
)

REPO = Path(__file__).resolve().parents[1]
ITEMS = "item_id,name,kind\nN1,Silicon wafers,material\nN2,Lithography tools,tool\nN3,Logic chips,chip\n"
PROVIDERS = "provider_id,name,kind,country\nUSA,United States,country,\nKOR,South Korea,country,\n"
SHARES = "item_id,provider_id,share,year\nN1,USA,40,2021\nN1,KOR,35,2021\nN2,USA,90,2020\n"


def _command() -> list[str]:
    """The installed console script where there is one beside this Python, else ``-m``."""
    script = Path(sys.executable).parent / ("allychain.exe" if os.name == "nt" else "allychain")
    return [str(script)] if script.exists() else [sys.executable, "-m", "allychain"]


def cli(*args: str | Path, pre: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run allychain in a new process (the code of this checkout); ``pre`` runs first."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
           "COLUMNS": "200"}
    if pre is None:
        cmd = [*_command(), *map(str, args)]
    else:
        code = f"{pre}\nimport sys\nsys.argv = ['allychain', *sys.argv[1:]]\nfrom allychain.cli.main import main\nmain()"
        cmd = [sys.executable, "-c", code, *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    return r


def _folder(parent: Path, name: str, items: str = ITEMS) -> Path:
    d = parent / name  # a '/' in the name makes nested folders: the path still reads 'a[/]b'
    d.mkdir(parents=True)
    for fname, text in {"items.csv": items, "providers.csv": PROVIDERS, "shares.csv": SHARES}.items():
        (d / fname).write_text(text, encoding="utf-8")
    return d


# -- usage errors: a message, status 2, no traceback ------------------------------------------------------------
@pytest.mark.parametrize(("args", "says"), [
    (["analyze", "chokepoints", "--bogus"], "No such option: --bogus"),
    (["analyse", "chokepoints"], "No such command 'analyse'"),
    (["show"], "Missing argument"),
    (["optimize", "allocate"], "Missing argument"),
    (["montecarlo", "spec.yaml", "--batch-size", "0"], "--batch-size"),
    (["montecarlo", "spec.yaml", "--batch-size", "-1"], "--batch-size"),
    (["montecarlo", "spec.yaml", "--runs", "-5"], "--runs"),
    (["montecarlo", "spec.yaml", "--runs", "0"], "--runs"),
    (["montecarlo", "spec.yaml", "--seed", "-1"], "--seed"),
    (["montecarlo", "spec.yaml", "--level", "1.5"], "--level"),
    (["simulate", "--steps", "1000000000"], "--steps"),
    (["analyze", "chokepoints", "--country-share", "nan"], "--country-share"),
    (["optimize", "tts", "--ttr", "inf"], "--ttr"),
    (["data", "download", "eto", "--timeout", "0"], "--timeout"),
])
def test_usage_errors_exit_2_with_usage_line(args: list[str], says: str) -> None:
    r = cli(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Usage: allychain" in r.stderr and says in r.stderr
    assert "np.int64" not in r.stderr and r.stdout == ""


def test_usage_error_outside_the_typer_copy_of_click_is_caught(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """typer 0.29+ raises its vendored click's exceptions, older releases the click package's;
    both are recognised by class name and module, whichever is installed."""
    from allychain.cli import main as main_mod

    def show(self: Exception) -> None:
        print("Usage: allychain [OPTIONS]\nError: bad", file=sys.stderr)

    click_exception = type("ClickException", (Exception,), {"__module__": "click.exceptions", "show": show})
    usage = type("UsageError", (click_exception,), {"__module__": "click.exceptions", "exit_code": 2})

    def boom(**kwargs: object) -> None:
        raise usage()

    monkeypatch.setattr(main_mod, "app", boom)
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2 and "Usage: allychain" in capsys.readouterr().err


# -- exit statuses ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("error", "code"), [
    (InfeasibleError("no allocation meets the commitments"), 1),
    (SolverError("HiGHS stopped"), 1),
    (DataError("bad row"), 3),
    (ScenarioError("bad key"), 3),
    (AllychainError("unknown item"), 3),
    (DownloadError("offline"), 4),
    (MissingExtraError("pip install 'allychain[sim]'"), 4),
    (OutputError("'out' exists; pass --overwrite"), 4),
    (FileNotFoundError(2, "No such file or directory", "x.yaml"), 4),
    (MemoryError(), 4),
    (AuthenticationError("set ALLYCHAIN_TOKEN"), 5),
    (PermissionDenied("not permitted"), 5),
    (DisclosureError("cell (KOR, resist) is dominated"), 1),
    (InvariantError("inventories went negative"), 70),
    (RuntimeError("a bug"), 70),
    (KeyboardInterrupt(), 130),
])
def test_exit_status_per_kind_of_ending(error: BaseException, code: int, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from allychain.cli import main as main_mod

    def boom(**kwargs: object) -> None:
        raise error

    assert exit_code_for(error) == code and code in EXIT_CODES
    monkeypatch.setattr(main_mod, "app", boom)
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == code
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err
    if code == 70:
        assert "bug in allychain" in err and "report" in err
    else:
        assert "bug" not in err


def test_output_closed_early_stops_quietly() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    with subprocess.Popen([*_command(), "items", "-f", "csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env) as p:
        assert p.stdout is not None and p.stderr is not None
        assert p.stdout.readline().startswith(b"item_id,")
        p.stdout.close()  # as `| head -1` does
        err = p.stderr.read().decode()
        rc = p.wait(timeout=120)
    assert rc in (0, 141) and err == ""  # 0 when everything fitted in the pipe before it closed


def test_exit_scheme_is_in_the_help() -> None:
    r = cli("--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for code in EXIT_CODES:
        assert f"{code} " in text
    assert "3 invalid input" in text and "2 usage error" in text


def test_help_texts_keep_their_brackets() -> None:
    from allychain.cli.main import app

    def groups(t: object) -> list[object]:
        return [t, *(x for g in t.registered_groups for x in groups(g.typer_instance))]  # type: ignore[attr-defined]

    assert len(groups(app)) >= 4 and all(g.rich_markup_mode is None for g in groups(app))  # type: ignore[attr-defined]
    r = cli("report", "--help")
    assert r.returncode == 0 and "allychain[pdf]" in r.stdout


def test_invalid_data_exits_3_and_names_the_folder(tmp_path: Path) -> None:
    d = _folder(tmp_path, "x[bold]y", items=ITEMS + "N4,,material\n")
    r = cli("data", "validate", d)
    assert r.returncode == 3
    assert f"{d}: 1 problem(s)" in r.stderr  # the folder name keeps its brackets
    assert "items.csv, row 5, column 'name'" in r.stderr


# -- text with square brackets reaches the terminal as written -----------------------------------------------------
def test_missing_pymrio_hint_is_verbatim() -> None:
    r = cli("simulate", "--data", "pymrio-test", "--steps", "5", pre="import sys; sys.modules['pymrio'] = None")
    assert r.returncode == 4
    assert "pip install 'allychain[sim]'" in r.stderr


@pytest.mark.parametrize("name", ["a[/]b", "x[bold]y", "c[red]d:smile:e"])
def test_folder_names_with_markup_are_printed_verbatim(tmp_path: Path, name: str) -> None:
    d = _folder(tmp_path, name)
    r = cli("data", "validate", d)
    assert r.returncode == 0 and f"{d}: valid" in r.stdout
    r = cli("show", "N9", "--data", d)
    assert r.returncode == 3 and "unknown item 'N9'" in r.stderr
    missing = tmp_path / f"missing{name}"
    r = cli("items", "--data", missing)
    assert r.returncode == 3 and str(missing) in r.stderr


def test_names_ids_and_members_with_markup_are_printed_verbatim(tmp_path: Path) -> None:
    d = _folder(tmp_path, "plain", items=ITEMS.replace("Silicon wafers", "Wafers [/] [bold]300 mm[/bold]"))
    r = cli("show", "n1", "--data", d)
    assert r.returncode == 0, r.stderr
    assert "Wafers [/] [bold]300 mm[/bold]" in r.stdout
    r = cli("items", "--data", d)
    assert r.returncode == 0 and "Wafers [/] [bold]300 mm[/bold]" in r.stdout
    r = cli("analyze", "alliance", "--data", d, "--members", "K[/]R,USA")
    assert r.returncode == 3 and "K[/]R" in r.stderr


def test_scenario_name_and_group_with_markup(tmp_path: Path) -> None:
    pytest.importorskip("pymrio")
    spec = tmp_path / "s.yaml"
    spec.write_text("name: 'quake [/] [bold]reg2'\ndata: pymrio-test\nhorizon: 5\n"
                    "alliances:\n  'allies[/]': [reg2, reg5]\n"
                    "shocks:\n  - {countries: [reg2], loss_fraction: 0.4, onset: 1, duration: 2}\n", encoding="utf-8")
    r = cli("simulate", spec)
    assert r.returncode == 0, r.stderr
    assert "quake [/] [bold]reg2" in r.stdout and "alliance allies[/]" in r.stdout


# -- look-ups, '+' in folder names, values and long lists ---------------------------------------------------------
def test_folder_with_plus_in_its_name(tmp_path: Path) -> None:
    d = _folder(tmp_path, "a+b")
    r = cli("data", "validate", d)
    assert r.returncode == 0 and f"{d}: valid" in r.stdout
    r = cli("data", "info", "--data", f"builtin+{d}", "-f", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["items"] >= 84  # the built-in items and the three of a+b


def test_lookups_ignore_case(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from allychain.analysis.coverage import resolve_items
    from allychain.data.load import load
    from allychain.model.views import find_item, find_stage

    n = load("builtin")
    assert find_item(n, "C4F6") == "c4f6" and find_item(n, " Neon ") == "neon"
    assert resolve_items(n, ["C4F6", "NEON", "nothing"]) == (["c4f6", "neon"], ["nothing"])
    assert find_stage(n, "DESIGN") == "design" and find_stage(n, "Assembly, testing and packaging") == "atp"
    with pytest.raises(AllychainError, match=r"did you mean 'neon' \(Semiconductor-grade neon\)"):
        find_item(n, "neonn")
    monkeypatch.setattr(sys, "argv", ["allychain", "show", "FABRICATION", "-f", "json"])
    with pytest.raises(SystemExit) as exc:
        main()
    doc = json.loads(capsys.readouterr().out)
    assert exc.value.code == 0 and doc["stage_id"] == "fabrication"
    assert {i["item_id"] for i in doc["items"]} == set(n.items.loc[n.items["stage_id"] == "fabrication", "item_id"])


def test_ids_differing_only_in_case_are_ambiguous() -> None:
    import pandas as pd

    from allychain.model.network import Network
    from allychain.model.views import find_item

    n = Network(items=pd.DataFrame({"item_id": ["ab", "AB"], "name": ["one", "two"], "kind": ["material"] * 2}))
    assert find_item(n, "AB") == "AB" and find_item(n, "ab") == "ab"
    with pytest.raises(AllychainError, match="ambiguous"):
        find_item(n, "Ab")


def test_values_are_shown_plainly() -> None:
    assert "(got -1)" in str(Problem("not positive", value=np.int64(-1)))
    assert "(got 0.5)" in str(Problem("too small", value=np.float64(0.5)))
    assert "(got 'abc')" in str(Problem("not a number", value="abc"))


def test_long_problem_lists_are_capped(tmp_path: Path) -> None:
    d = _folder(tmp_path, "many")
    (d / "shares.csv").write_text("item_id,provider_id,share,year\n"
                                  + "".join(f"N1,USA,x{i},2021\n" for i in range(60)), encoding="utf-8")
    r = cli("data", "validate", d)
    assert r.returncode == 3
    total = int(r.stderr.split(" problem(s)")[0].rsplit(" ", 1)[1])
    assert total >= 60  # one per bad share at least
    assert r.stderr.count("\n  - ") == 50 and f"… and {total - 50} more (--format json lists every problem)" in r.stderr
    r = cli("data", "validate", d, "--format", "json")
    assert r.returncode == 3 and len(json.loads(r.stdout)["problems"]) == total
