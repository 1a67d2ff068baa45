"""classify.errors: the parameter check shared by the estimators."""

import re

import numpy as np
import pytest

from classify.errors import DataError, check_number


@pytest.mark.parametrize("value", [0.5, 1, np.float32(2.0), np.int64(3)])
def test_check_number_accepts_finite_reals_in_range(value):
    check_number("w", value)
    check_number("w", value, strict=True)


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), True, "1", None, [1]])
def test_check_number_names_the_value_and_the_range(value):
    with pytest.raises(DataError, match=f"^{re.escape(f'w must be a number >= 0 (a weight); got {value!r}.')}$"):
        check_number("w", value, meaning="a weight")


def test_check_number_strict_refuses_the_minimum():
    check_number("alpha", 0)
    with pytest.raises(DataError, match=r"^alpha must be a number > 0; got 0\.$"):
        check_number("alpha", 0, strict=True)
