"""latent_component.chart: the figures it sends to the browser (drawn there with the map's plotly.js)."""
from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from latent_component.chart import figure_json


def test_a_figure_travels_whole_without_plotly_pys_template():
    fig = make_subplots(rows=1, cols=2)
    fig.add_trace(go.Scatter(x=np.arange(3), y=np.array([1.5, 2.5, 0.5]), name="recon"), row=1, col=1)
    fig.add_trace(go.Scattergl(x=[0, 1], y=[1, 0], name="kl"), row=1, col=2)
    fig.add_layout_image(source="data:image/png;base64,AAAA", x=0, y=1, sizex=1, sizey=1, xref="x", yref="y")
    fig.update_layout(height=320, title="curves")
    sent = json.loads(figure_json(fig, {"displayModeBar": False}))
    assert sent["config"] == {"displayModeBar": False}
    assert "template" not in sent["layout"]  # the page's theme is applied in the browser (chart.js)
    assert sent["layout"]["height"] == 320 and sent["layout"]["title"]["text"] == "curves"
    assert "xaxis2" in sent["layout"] and sent["layout"]["images"][0]["source"].startswith("data:image/png")
    assert [t["name"] for t in sent["data"]] == ["recon", "kl"] and sent["data"][1]["y"] == [1, 0]
    y = sent["data"][0]["y"]  # numpy arrays travel as Plotly's typed arrays, which plotly.js 3 reads
    assert np.frombuffer(base64.b64decode(y["bdata"]), y["dtype"]).tolist() == [1.5, 2.5, 0.5]
    assert "template" in fig.to_plotly_json()["layout"]  # the caller's figure is left as it was


@pytest.mark.parametrize("trace", [go.Heatmap(z=[[0, 1]]), go.Bar(x=[1], y=[2])])
def test_a_trace_the_maps_plotly_cannot_draw_is_refused(trace):
    with pytest.raises(ValueError, match="st.plotly_chart"):
        figure_json(go.Figure(trace))
