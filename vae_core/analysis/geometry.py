"""Where the decoder stretches the latent space: its magnification factor on a plane of z.

    stretch = magnification(model, projection, plane_points)     # (N,)

For the decoder's image g(u) of a point u on the plane (z = center + u @ axes), J = dg/du is
(784, 2), and sqrt(det(J^T J)) is how much image area one unit of latent area becomes: the volume
element of the metric the decoder pulls back onto the latent space (Arvanitidis, Hansen & Hauberg,
"Latent Space Oddity", ICLR 2018). It is large where a small move in z changes the image a lot,
between the clusters, and small inside them.
"""
from __future__ import annotations

import numpy as np
import torch

from vae_core.analysis.projection import Projection
from vae_core.models.model import VAE

BATCH = 256  # points per vectorised Jacobian: (256, 784, 2) floats


def magnification(model: VAE, projection: Projection, plane_points: np.ndarray) -> np.ndarray:
    """(N,) float32: sqrt(det(J^T J)) of the decoded pixel means at each of `plane_points` (N, 2)."""
    center = torch.as_tensor(projection.center, dtype=torch.float32)
    axes = torch.as_tensor(projection.axes, dtype=torch.float32)

    def image(u: torch.Tensor) -> torch.Tensor:  # (2,) -> (784,) pixel means
        return torch.sigmoid(model.decode_logits((center + u @ axes)[None]))[0]

    jacobians = torch.func.vmap(torch.func.jacfwd(image))  # forward mode: two input directions per point
    points = torch.as_tensor(np.asarray(plane_points, dtype=np.float32))
    out = []
    with torch.no_grad():
        for chunk in torch.split(points, BATCH):
            jac = jacobians(chunk).double()  # (n, 784, 2)
            gram = jac.transpose(1, 2) @ jac  # (n, 2, 2), the pulled-back metric
            out.append(torch.sqrt(torch.clamp(torch.linalg.det(gram), min=0.0)))
    return torch.cat(out).numpy().astype(np.float32) if out else np.zeros(0, np.float32)
