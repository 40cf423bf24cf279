"""The fast year-end path (column-wise CSV reader, orjson, lean CLI) gives exactly what the
row-wise reader and the standard library's JSON give: on the sample town, on a generated
region of 200 villages, and on irregular files (where the row-wise reader takes over)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import FrozenInstanceError, asdict, dataclass, field, fields, replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scoring.errors import SourceError
from scoring.export import json_bytes, to_json_stdlib, year_to_dict
from scoring.inputs import ScoreColumns
from scoring.records import quick_init
from scoring.rules import load_rules
from scoring.sources import read_folder, read_folder_rowwise
from scoring.yearly import year_result
from service.cli import build_app
from service.settings import project_root
from tests.scoring.region import YEAR, generate

SAMPLE = project_root() / "data" / "sample"


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 generated villages × 12 months × 2 groups, with a few months not scored."""
    return generate(tmp_path_factory.mktemp("region") / "csv", villages=200)


def _reference(folder: Path) -> bytes:
    """The path of before: every cell through `_Row`, `json.dumps(indent=2)`."""
    result = year_result(read_folder_rowwise(folder), load_rules(), YEAR)
    return (to_json_stdlib(year_to_dict(result)) + "\n").encode()


@pytest.mark.parametrize("which", ["sample", "region"])
def test_score_year_json_is_byte_identical(which: str, region: Path, tmp_path: Path) -> None:
    folder = SAMPLE if which == "sample" else region
    assert read_folder(folder) == read_folder_rowwise(folder)
    out = tmp_path / "year.json"
    result = CliRunner().invoke(
        build_app("score"),
        ["score", "year", str(YEAR), "--from", str(folder), "--format", "json", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    expected = _reference(folder)
    assert out.read_bytes() == expected
    assert b'"not_scored"' in expected and len(expected) > 100_000
    # and on standard output, as text
    shown = CliRunner().invoke(
        build_app("score"), ["score", "year", str(YEAR), "--from", str(folder), "--format", "json"]
    )
    assert shown.exit_code == 0 and shown.stdout.encode() == expected


def test_orjson_writes_what_the_standard_library_writes() -> None:
    payload = {
        "村": "南鞠家场",
        "quote": 'a "b" \\ c\n\t\x01',
        "floats": [0.1, -0.0, 86.5, 1 / 3, round(2 / 3, 4), 1e-4, 123456.789],
        "ints": [0, -5, 1500],
        "empty": [[], {}],
        "none": None,
        "flags": [True, False],
        "nested": {"items": [{"rule": "M4", "points": -3}]},
    }
    assert json_bytes(payload) == to_json_stdlib(payload).encode()


def _copy(region: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in ("villages", "observation_scores", "third_party", "honors"):
        (folder / f"{name}.csv").write_bytes((region / f"{name}.csv").read_bytes())
    return folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lines: lines.insert(5, "2024-13,R00001,组,80"), "row 6, field 'month'"),
        (lambda lines: lines.insert(7, "2024-03,NOPE,组,80"), "unknown village code 'NOPE'"),
        (lambda lines: lines.insert(9, "2024-03,R00002,组,101"), "row 10, field 'score'"),
        (lambda lines: lines.insert(3, "2024-03,R00002,组,八十"), "expected a number"),
        (lambda lines: lines.insert(3, "2024-03,R00002,组,nan"), "expected a finite number"),
    ],
)
def test_bad_rows_get_the_row_wise_readers_message(
    region: Path, tmp_path: Path, change, message: str
) -> None:
    folder = _copy(region, tmp_path)
    path = folder / "observation_scores.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    change(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError) as fast:
        read_folder(folder)
    with pytest.raises(SourceError) as rowwise:
        read_folder_rowwise(folder)
    assert str(fast.value) == str(rowwise.value)
    assert message in str(fast.value)


def test_irregular_but_valid_files_read_the_same(region: Path, tmp_path: Path) -> None:
    # Blank lines, spaces around cells, a short row with a blank score, extra columns, the
    # columns in another order, and a GBK file (the row-wise reader's second encoding).
    folder = _copy(region, tmp_path)
    path = folder / "observation_scores.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = "score,village,month,group,note"
    body = []
    for i, line in enumerate(lines[1:200]):
        month, village, group, score = line.split(",")
        body.append(f" {score} , {village},{month} ,{group},x")
        if i % 50 == 0:
            body.append(",,,,")
    path.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    assert read_folder(folder) == read_folder_rowwise(folder)
    assert len(read_folder(folder).observation_scores) == 199
    body.append(",R00003,2024-02")  # a short row: no group, no score
    path.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    assert read_folder(folder) == read_folder_rowwise(folder)
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    assert read_folder(folder) == read_folder_rowwise(folder)


def test_score_commands_start_without_the_database_and_map_libraries(region: Path) -> None:
    # `main` ends a batch run by os._exit (no teardown); the probe takes its place to look
    # at what was imported, then exits as usual.
    code = (
        "import sys\n"
        "import service.cli\n"
        "def probe(code):\n"
        "    heavy = ('sqlalchemy', 'geopandas', 'pandas', 'folium', 'shapely', 'psycopg',"
        " 'pydantic_settings', 'openpyxl')\n"
        "    print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
        "    raise SystemExit(code)\n"
        "service.cli.end_batch = probe\n"
        f"sys.argv = ['cunrong', 'score', 'year', '{YEAR}', '--from', {str(region)!r},"
        " '--format', 'json', '-o', '/dev/null']\n"
        "service.cli.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=project_root()
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_console_script_exits_with_the_commands_status(region: Path, tmp_path: Path) -> None:
    # The batch run leaves by os._exit: the status, standard output and the file written
    # must be those of an ordinary exit.
    cunrong = str(Path(sys.executable).with_name("cunrong"))
    out = tmp_path / "year.json"
    command = [cunrong, "score", "year", str(YEAR), "--from", str(region), "--format", "json"]
    done = subprocess.run(command, capture_output=True)
    assert done.returncode == 0, done.stderr
    expected = _reference(region)
    assert done.stdout == expected
    done = subprocess.run([*command, "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0 and out.read_bytes() == expected
    assert f"wrote {out}" in done.stderr
    missing = subprocess.run(
        [cunrong, "score", "year", str(YEAR), "--from", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1
    assert "no such folder or file" in missing.stderr
    usage = subprocess.run([cunrong, "score", "year", "twenty"], capture_output=True, text=True)
    assert usage.returncode == 2


def test_score_columns_are_the_tuple_of_their_scores(region: Path) -> None:
    fast = read_folder(region).observation_scores
    rowwise = read_folder_rowwise(region).observation_scores
    assert isinstance(fast, ScoreColumns) and isinstance(rowwise, tuple)
    assert fast == rowwise and rowwise == fast and hash(fast) == hash(rowwise)
    assert len(fast) == len(rowwise) and list(fast) == list(rowwise)
    assert fast[0] == rowwise[0] and fast[-1] == rowwise[-1]
    assert fast[3:9] == rowwise[3:9] and isinstance(fast[3:9], ScoreColumns)
    assert fast != rowwise[:-1] and fast[:-1] != fast
    assert rowwise[5] in fast and fast.index(rowwise[5]) == 5
    assert fast != list(rowwise)  # as a tuple is not a list
    with pytest.raises(ValueError, match="one length"):
        ScoreColumns(["2024-01"], ["V01"], [], [80.0])


@quick_init
@dataclass(frozen=True)
class _Record:
    name: str
    points: float
    month: str | None = None


@dataclass(frozen=True)
class _Plain:
    name: str
    points: float
    month: str | None = None


def test_quick_init_builds_what_the_dataclass_builds() -> None:
    for args, kwargs in [(("a", 1.5), {}), (("a",), {"points": 2.0, "month": "2024-03"})]:
        quick, plain = _Record(*args, **kwargs), _Plain(*args, **kwargs)
        assert [getattr(quick, f.name) for f in fields(quick)] == [
            getattr(plain, f.name) for f in fields(plain)
        ]
    record = _Record("a", 1.5)
    assert record == _Record(name="a", points=1.5, month=None) != _Record("a", 1.5, "2024-01")
    assert hash(record) == hash(_Record("a", 1.5))
    assert repr(record) == "_Record(name='a', points=1.5, month=None)"
    assert replace(record, month="2024-04").month == "2024-04"
    assert asdict(record) == {"name": "a", "points": 1.5, "month": None}
    with pytest.raises(FrozenInstanceError):
        record.points = 3.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        _Record("a")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _Record("a", 1.0, "m", "extra")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="plain fields"):

        @quick_init
        @dataclass(frozen=True)
        class _WithFactory:
            items: list[str] = field(default_factory=list)

    with pytest.raises(TypeError, match="frozen"):

        @quick_init
        @dataclass
        class _NotFrozen:
            name: str
