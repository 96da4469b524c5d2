"""North–south models view (AppTest on the real warehouse): model (d) says its distance is the one of the nearest
mother and baby unit open in the selected year, and shows that year's fit."""
import pytest


@pytest.mark.real_data("model (d) of 2015/16 on the real distances of 2016")
def test_model_d_names_the_unit_open_that_year_and_shows_the_year_matched_fit(app):
    at = app("north_south", measure="cla_starts_u1_rate", year="2016", view="models")
    assert not at.exception
    tbl = next(d.value for d in at.dataframe if "Model" in d.value.columns)
    d = tbl[tbl["Model"]
            == "Distance north + deprivation + distance to the nearest mother and baby unit open that year"]
    mbu = d[d["Factor"] == "per 10 km further from the nearest open mother and baby unit"]
    assert len(mbu) == 2  # 2015/16 and pooled 2014-2024
    got = dict(zip(mbu["Rate ratio"], mbu["95% CI"]))
    assert got == {"1.058": "1.041–1.075", "1.062": "1.056–1.069"}  # the latest distance gave 1.069 and 1.070
