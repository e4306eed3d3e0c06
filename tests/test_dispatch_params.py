"""params.py: SolveParams and its nested parts; bad values name the field."""

from __future__ import annotations

import pytest

from fieldops.domain import FieldError
from fieldops.solver.dispatch import SolveParams
from fieldops.solver.dispatch.params import DecomposeParams, EngineParams, RuinParams


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": -5}, "time_limit"),
        ({"seed": -1}, "seed"),
        ({"workers": 0}, "workers"),
        ({"first_solution": "magic"}, "first_solution"),
        ({"metaheuristic": "annealing?"}, "metaheuristic"),
        ({"engines": {"vroom_share": 0}}, "engines.vroom_share"),
        ({"engines": {"hgs_share": 1.5}}, "engines.hgs_share"),
        ({"engines": "fast"}, "engines"),
        ({"ruin": {"blink": 2}}, "ruin.blink"),
        ({"ruin": {"strings": 3}}, "ruin.strings"),
        ({"decompose": {"sub_jobs": 1}}, "decompose.sub_jobs"),
        ({"decompose": {"whole_share": -0.1}}, "decompose.whole_share"),
        ({"decompose": {"whole_share": 1.5}}, "decompose.whole_share"),
    ],
)
def test_bad_parameters_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(FieldError) as err:
        SolveParams(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_nested_parameters_are_reachable_as_objects_or_mappings() -> None:
    params = SolveParams(engines={"vroom_share": 0.5}, ruin=RuinParams(mean_removed=4),
                         decompose={"min_jobs": 50})
    assert params.engines == EngineParams(vroom_share=0.5)
    assert params.ruin.mean_removed == 4
    assert params.decompose == DecomposeParams(min_jobs=50)
    assert SolveParams().engines == EngineParams()
