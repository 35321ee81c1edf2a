"""Three VAEs trained elsewhere (pytorch/examples' MLP, pythae's MLP in its saving layout, the
convolutional example), each trained a few batches on MNIST and imported through
`latent-explorer import` into one models folder. The conftest fixture `imported_models` builds it once."""
from __future__ import annotations

import sys
from pathlib import Path

import torch

from tests.external.pythae_vae import PythaeVAE, save_like_pythae
from tests.external.pytorch_examples_vae import VAE as ExamplesVAE
from tests.external.pytorch_examples_vae import loss_function
from vae_core.commands import importer
from vae_core.data.datasets import load_split
from vae_core.storage import store

REPO = Path(__file__).resolve().parents[2]
CONV_SOURCE = REPO / "examples" / "conv_vae.py"


def conv_module():
    """examples/conv_vae.py as a user runs it, from its own folder."""
    sys.path.insert(0, str(CONV_SOURCE.parent))
    try:
        import conv_vae
    finally:
        sys.path.pop(0)
    return conv_vae


def train_a_few_batches(model, loss, images: torch.Tensor, batches: int = 20, flat: bool = False) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for i in range(batches):
        x = images[i * 64:(i + 1) * 64]
        x = x.reshape(len(x), -1) if flat else x
        recon, mu, logvar = model(x)
        value = loss(recon, x, mu, logvar)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    model.eval()


def run_import(*argv) -> store.ModelFiles:
    importer.main([str(a) for a in argv])
    return store.model_files(argv[argv.index("--name") + 1], Path(argv[argv.index("--models") + 1]))


def import_external_models(work: Path, models: Path, data_root: Path) -> dict:
    """name -> (the model's own module, its ModelFiles in `models`)."""
    images = load_split(data_root, "mnist", train=True)[0][:1280]
    torch.manual_seed(0)
    conv_vae = conv_module()
    examples, pythae, conv = ExamplesVAE(), PythaeVAE(), conv_vae.ConvVAE()
    train_a_few_batches(examples, loss_function, images, flat=True)
    torch.save(examples.state_dict(), work / "vae.pt")
    bce = lambda recon, x, mu, logvar: torch.nn.functional.binary_cross_entropy(recon, x, reduction="sum")  # noqa: E731
    train_a_few_batches(pythae, bce, images)
    folder = save_like_pythae(pythae, work / "pythae_run")
    train_a_few_batches(conv, conv_vae.loss_function, images)
    torch.save(conv.state_dict(), work / "conv_vae.pt")
    common = ["--models", models, "--data-root", data_root]
    return {
        "examples": (examples, run_import("weights", work / "vae.pt", "--name", "examples_z2", *common)),
        "pythae": (pythae, run_import("weights", folder, "--name", "pythae_z2", *common)),
        "conv": (conv, run_import("module", CONV_SOURCE, "--class", "ConvVAE", "--weights", work / "conv_vae.pt",
                                  "--decoder-output", "logits", "--name", "conv_z2", *common)),
    }
