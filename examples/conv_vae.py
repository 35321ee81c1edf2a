"""A small convolutional VAE on MNIST with a 2-D latent space, written the way one is usually
written outside this app (in the style of pytorch/examples' vae/main.py), then imported with

    latent-explorer import module examples/conv_vae.py --class ConvVAE --weights conv_vae.pt \
        --dataset mnist --decoder-output logits --name mnist_conv_vae_z2

Train it (MNIST in ../shared/data/MNIST/raw, or downloaded there):

    python examples/conv_vae.py --epochs 12 --out conv_vae.pt
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch import nn


class ConvVAE(nn.Module):
    """x (B, 1, 28, 28) -> two strided convolutions -> mu, logvar (B, latent_dim);
    z -> a linear layer -> two transposed convolutions -> Bernoulli logits (B, 1, 28, 28)."""

    def __init__(self, latent_dim: int = 2, channels: int = 32, hidden: int = 128):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, channels, 4, stride=2, padding=1), nn.ReLU(),             # 14x14
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), nn.ReLU(),  # 7x7
            nn.Flatten(), nn.Linear(2 * channels * 49, hidden), nn.ReLU())
        self.fc_mu = nn.Linear(hidden, latent_dim)
        self.fc_logvar = nn.Linear(hidden, latent_dim)
        self.decoder_input = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2 * channels * 49), nn.ReLU(),
            nn.Unflatten(1, (2 * channels, 7, 7)))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1), nn.ReLU(),  # 14x14
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1))                        # 28x28

    def encode(self, x):
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        """Logits of the pixels being ink, (B, 1, 28, 28)."""
        return self.decoder(self.decoder_input(z))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode(z), mu, logvar


def loss_function(logits, x, mu, logvar):
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def main():
    from torchvision import datasets, transforms

    parser = argparse.ArgumentParser(description="Train a convolutional VAE on MNIST")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--out", default="conv_vae.pt")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    train = datasets.MNIST(args.data_root, train=True, download=True, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(train, batch_size=args.batch_size, shuffle=True)
    model = ConvVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for x, _ in loader:
            optimizer.zero_grad()
            logits, mu, logvar = model(x)
            loss = loss_function(logits, x, mu, logvar)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: average loss {total / len(train):.2f}")
    torch.save(model.state_dict(), args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
