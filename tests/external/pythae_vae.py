"""pythae's default MLP VAE for 28x28 images (Encoder_VAE_MLP, Decoder_AE_MLP), with its module names,
and its saving layout: a folder final_model/ with model.pt holding {"model_state_dict": ...} and
model_config.json. Written here so the tests need no pythae install."""
import json
from pathlib import Path

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, latent_dim=2):
        super().__init__()
        self.layers = nn.ModuleList([nn.Sequential(nn.Linear(784, 512), nn.ReLU())])
        self.embedding = nn.Linear(512, latent_dim)
        self.log_var = nn.Linear(512, latent_dim)

    def forward(self, x):
        out = self.layers[0](x.reshape(-1, 784))
        return self.embedding(out), self.log_var(out)


class Decoder(nn.Module):
    def __init__(self, latent_dim=2):
        super().__init__()
        self.layers = nn.ModuleList([nn.Sequential(nn.Linear(latent_dim, 512), nn.ReLU()),
                                     nn.Sequential(nn.Linear(512, 784), nn.Sigmoid())])

    def forward(self, z):
        return self.layers[1](self.layers[0](z)).reshape(-1, 1, 28, 28)


class PythaeVAE(nn.Module):
    def __init__(self, latent_dim=2):
        super().__init__()
        self.encoder, self.decoder = Encoder(latent_dim), Decoder(latent_dim)

    def forward(self, x):
        mu, log_var = self.encoder(x)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        return self.decoder(z), mu, log_var


def save_like_pythae(model: PythaeVAE, folder: Path) -> Path:
    final = Path(folder) / "final_model"
    final.mkdir(parents=True)
    torch.save({"model_state_dict": model.state_dict()}, final / "model.pt")
    latent = model.encoder.embedding.out_features
    (final / "model_config.json").write_text(json.dumps(
        {"name": "VAEConfig", "input_dim": [1, 28, 28], "latent_dim": latent, "reconstruction_loss": "bce"}))
    return final
