"""Batched, seeded distortions of MNIST digits that look like preprocessed uploads, in torch.

`distort(x, generator)` takes clean digits x (B, 1, 28, 28) in [0, 1] and returns (B, 1, 28, 28) in [0, 1]:
each digit is thickened or thinned (max-pool dilation or erosion), elastically warped (Simard et al. 2003),
rotated, sheared, stretched and moved, blurred, then put through the same conventions as
`vae_core.uploads.preprocess` (sheared to MNIST's median slant for most digits, fitted in a 20x20 box,
centred by mass in 28x28, scaled to a maximum of 1), with some noise on the ink. Everything runs on the
batch's device, so a GPU does it at the speed of training. The upload encoder is trained on these
(`train_upload_encoder.py`); the preprocessing's own numbers (box, centre, slant) are imported, not copied.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from vae_core.uploads.preprocess import MNIST_COM, MNIST_SLANT

FRAME, BOX = 28, 20
WORK = 84  # the 28x28 digit padded to 42 and doubled: room to rotate and warp, half-pixel stroke steps


@dataclass(frozen=True)
class DistortionRanges:
    """How far each distortion goes (uniform in +-range unless said otherwise)."""

    rotate_deg: float = 20.0
    shear: float = 0.35  # horizontal shift per row, before the slant is taken out again
    log_scale_xy: float = 0.25  # each axis' stretch, e^+-0.25: proportions other writers use
    translate: float = 0.08  # of the work frame (the normalisation re-centres; this moves the elastic field)
    elastic: float = 0.045  # displacement amplitude in normalised coordinates (1 = half the frame)
    elastic_cells: int = 5  # the field's coarse grid: strokes bend, not shiver
    # Strokes and edges: preprocessed uploads are crisp (their thin strokes widened to MNIST's width, a
    # large photo reduced with Lanczos), so widths stay near MNIST's and blur stays mild: the first ranges
    # (dilation up to 2.5 px, blur up to 1.4 px of the doubled frame) made blobs no upload looks like.
    stroke_steps: tuple[float, float] = (-1.0, 1.5)  # px of the doubled frame: erode by 1, dilate up to 1.5
    blur_sigma: tuple[float, float] = (0.0, 0.6)  # px of the doubled frame
    noise: float = 0.03  # standard deviation of noise on the ink, at most
    deslant_share: float = 0.8  # the app shears uploads to MNIST's slant unless asked not to


def _morph(x: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """Grow (steps > 0) or shrink (< 0) the strokes of x (B, 1, H, W) by |steps| px, fractional steps
    blended linearly: one 3x3 max-pool is one px on each side."""
    out = x
    most = int(torch.ceil(steps.abs().max()).item()) if len(steps) else 0
    grow, shrink = x, x
    for k in range(1, most + 1):
        grow = F.max_pool2d(grow, 3, 1, 1)
        shrink = -F.max_pool2d(-shrink, 3, 1, 1)
        w = (steps.abs() - (k - 1)).clamp(0, 1).view(-1, 1, 1, 1)  # this step's share
        target = torch.where(steps.view(-1, 1, 1, 1) > 0, grow, shrink)
        out = torch.where(w > 0, out * (1 - w) + target * w, out)
    return out


def _blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Per-image Gaussian blur of x (B, 1, H, W) with sigma (B,) px, one grouped separable convolution."""
    b = x.shape[0]
    r = 4
    t = torch.arange(-r, r + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-t[None] ** 2 / (2 * sigma.clamp_min(1e-3)[:, None] ** 2))
    k = k / k.sum(1, keepdim=True)  # sigma ~ 0 gives a delta
    y = F.conv2d(x.view(1, b, *x.shape[2:]), k.view(b, 1, 1, -1), padding=(0, r), groups=b)
    y = F.conv2d(y, k.view(b, 1, -1, 1), padding=(r, 0), groups=b)
    return y.view_as(x)


def _uniform(n: int, lo: float, hi: float, g: torch.Generator, device) -> torch.Tensor:
    return torch.rand(n, generator=g, device=device) * (hi - lo) + lo


def _moments(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """x (B, 1, H, W) -> mass, centre row, centre column, slant (column shift per row), each (B,)."""
    h, w = x.shape[2:]
    ys = torch.arange(h, device=x.device, dtype=x.dtype).view(1, h, 1)
    xs = torch.arange(w, device=x.device, dtype=x.dtype).view(1, 1, w)
    m = x[:, 0]
    mass = m.sum((1, 2)).clamp_min(1e-6)
    cy, cx = (m * ys).sum((1, 2)) / mass, (m * xs).sum((1, 2)) / mass
    dy, dx = ys - cy.view(-1, 1, 1), xs - cx.view(-1, 1, 1)
    mu11, mu02 = (m * dy * dx).sum((1, 2)) / mass, (m * dy**2).sum((1, 2)) / mass
    return mass, cy, cx, mu11 / mu02.clamp_min(1e-6)


def _box(x: torch.Tensor, threshold: float = 0.05) -> tuple[torch.Tensor, ...]:
    """The ink's box of x (B, 1, H, W): top, bottom, left, right in pixel indices (B,) (inclusive)."""
    h, w = x.shape[2:]
    ink = x[:, 0] > threshold
    rows, cols = ink.any(2), ink.any(1)
    r = torch.arange(h, device=x.device)
    c = torch.arange(w, device=x.device)
    big = torch.tensor(10**6, device=x.device)
    top = torch.where(rows, r, big).amin(1)
    bottom = torch.where(rows, r, -big).amax(1)
    left = torch.where(cols, c, big).amin(1)
    right = torch.where(cols, c, -big).amax(1)
    return top.to(x.dtype), bottom.to(x.dtype), left.to(x.dtype), right.to(x.dtype)


def _sample(x: torch.Tensor, a: torch.Tensor, t: torch.Tensor, size: int) -> torch.Tensor:
    """Resample x (B, 1, H, W) to (B, 1, size, size): output pixel p (x, y), in pixel units, reads input
    pixel a @ p + t, with a (B, 2, 2) and t (B, 2) in pixels. Converted to grid_sample's normalised units."""
    h, w = x.shape[2:]
    p = (torch.arange(size, device=x.device, dtype=x.dtype) + 0.5)
    gy, gx = torch.meshgrid(p, p, indexing="ij")
    pts = torch.stack([gx, gy], -1).view(1, -1, 2)  # (1, size*size, 2) as (x, y)
    src = pts @ a.transpose(1, 2) + t[:, None]  # (B, size*size, 2)
    grid = torch.stack([src[..., 0] / w * 2 - 1, src[..., 1] / h * 2 - 1], -1).view(-1, size, size, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def normalise(x: torch.Tensor, deslant: torch.Tensor | None = None) -> torch.Tensor:
    """The preprocessing's conventions on a batch x (B, 1, H, W) of ink -> (B, 1, 28, 28):
    shear to MNIST's median slant where `deslant` (B,) bool, fit the ink's box in 20x20 (longer side),
    centre the mass at MNIST's (14, 14) and scale so the darkest pixel is 1 (preprocess._frame)."""
    b = x.shape[0]
    eye = torch.eye(2, device=x.device, dtype=x.dtype).expand(b, 2, 2).clone()
    zero = torch.zeros(b, 2, device=x.device, dtype=x.dtype)
    if deslant is not None and deslant.any():
        _, cy, _, slant = _moments(x)
        shear = torch.where(deslant, slant - MNIST_SLANT, torch.zeros_like(slant))
        a = eye.clone()
        a[:, 0, 1] = shear  # output (x, y) reads input (x + shear * (y - cy), y), as preprocess._deslant
        t = zero.clone()
        t[:, 0] = -shear * (cy + 0.5)  # pixel centres: row index cy sits at cy + 0.5
        x = _sample(x, a, t, x.shape[2])
    top, bottom, left, right = _box(x)
    s = BOX / torch.maximum(bottom - top + 1, right - left + 1).clamp_min(1)  # output px per input px
    _, cy, cx, _ = _moments(x)
    # output pixel p reads input (p - (COM_out)) / s + COM_in; COM_out = MNIST_COM + 0.5 in pixel units
    a = eye / s.view(-1, 1, 1)
    t = torch.stack([cx + 0.5, cy + 0.5], 1) - (MNIST_COM + 0.5) / s[:, None]
    if s.min() < 1:  # shrinking: blur first so thin strokes average instead of aliasing
        x = _blur(x, (0.5 / s - 0.5).clamp(0, 3))
    out = _sample(x, a, t, FRAME).clamp(0, 1)
    return out / out.amax((2, 3), keepdim=True).clamp_min(1e-6)


def distort(x: torch.Tensor, g: torch.Generator, r: DistortionRanges = DistortionRanges()) -> torch.Tensor:
    """Clean digits x (B, 1, 28, 28) in [0, 1] -> distorted, normalised digits (B, 1, 28, 28) in [0, 1].
    `g`: a torch.Generator on x's device, so a seed gives the same batch."""
    b, dev = x.shape[0], x.device
    u = lambda lo, hi: _uniform(b, lo, hi, g, dev)  # noqa: E731
    work = F.interpolate(F.pad(x, (7, 7, 7, 7)), size=(WORK, WORK), mode="bilinear", align_corners=False)
    work = _morph(work, u(*r.stroke_steps))
    # one affine per digit (rotation, shear, stretch, shift) around the frame's centre, plus an elastic field
    ang = torch.deg2rad(u(-r.rotate_deg, r.rotate_deg))
    sh = u(-r.shear, r.shear)
    sx, sy = torch.exp(u(-r.log_scale_xy, r.log_scale_xy)), torch.exp(u(-r.log_scale_xy, r.log_scale_xy))
    cos, sin = torch.cos(ang), torch.sin(ang)
    rot = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)
    shear = torch.eye(2, device=dev).expand(b, 2, 2).clone()
    shear[:, 0, 1] = sh
    scale = torch.diag_embed(torch.stack([1 / sx, 1 / sy], 1))  # reading at p / s stretches by s
    a = rot @ shear @ scale
    c = torch.full((b, 2), WORK / 2, device=dev)
    t = c - (a @ c[..., None])[..., 0] + u(-r.translate, r.translate)[:, None] * WORK / 2
    n = r.elastic_cells
    field = (torch.rand(b, 2, n, n, generator=g, device=dev) * 2 - 1) * u(0, r.elastic).view(-1, 1, 1, 1)
    field = F.interpolate(field, size=(WORK, WORK), mode="bicubic", align_corners=True) * WORK / 2
    p = torch.arange(WORK, device=dev, dtype=x.dtype) + 0.5
    gy, gx = torch.meshgrid(p, p, indexing="ij")
    pts = torch.stack([gx, gy], -1).view(1, -1, 2)
    src = pts @ a.transpose(1, 2) + t[:, None] + field.permute(0, 2, 3, 1).reshape(b, -1, 2)
    grid = (src / WORK * 2 - 1).view(b, WORK, WORK, 2)
    work = F.grid_sample(work, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    work = _blur(work, u(*r.blur_sigma))
    out = normalise(work, torch.rand(b, generator=g, device=dev) < r.deslant_share)
    noise = torch.randn(out.shape, generator=g, device=dev) * u(0, r.noise).view(-1, 1, 1, 1)
    return (out + noise * (out > 0.05)).clamp(0, 1)  # noise on the ink: the preprocessing cuts the paper's
