"""The PyTorch side of bench/pytorch.sh: memlab's LeNet (conv 6@5x5 pad 2, max-pool, conv
16@5x5, max-pool, 120, 84, 10; ReLU), trained on MNIST's IDX files with Adam at the same batch
size, learning rate, thread count and example count as memlab's run, then timed on the test
split in batches of 1000. Prints one line per measurement, like `memlab train` does."""

import gzip
import struct
import sys
import time
from pathlib import Path

import torch
from torch import nn


def idx(path: Path) -> torch.Tensor:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4 : 4 + 4 * dims])
    return torch.frombuffer(bytearray(raw[4 + 4 * dims :]), dtype=torch.uint8).reshape(shape)


def find(folder: Path, stem: str) -> Path:
    for candidate in (folder / stem, folder / (stem + ".gz")):
        if candidate.exists():
            return candidate
    sys.exit(f"no {stem} under {folder}")


class LeNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.head = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = x.flatten(1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.head(x)


def main() -> None:
    folder, n_train, epochs, batch, threads = (
        Path(sys.argv[1]),
        int(sys.argv[2]),
        int(sys.argv[3]),
        int(sys.argv[4]),
        int(sys.argv[5]),
    )
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    # The same normalization as memlab's MNIST input spec.
    mean, std = 0.1307, 0.3081
    train_x = (idx(find(folder, "train-images-idx3-ubyte")).float() / 255.0 - mean) / std
    train_y = idx(find(folder, "train-labels-idx1-ubyte")).long()
    test_x = (idx(find(folder, "t10k-images-idx3-ubyte")).float() / 255.0 - mean) / std
    test_y = idx(find(folder, "t10k-labels-idx1-ubyte")).long()
    train_x, train_y = train_x[:n_train].unsqueeze(1), train_y[:n_train]
    test_x = test_x.unsqueeze(1)
    model = LeNet()
    print(f"pytorch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{sum(p.numel() for p in model.parameters())} parameters")
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(1)
    for epoch in range(1, epochs + 1):
        order = torch.randperm(n_train, generator=generator)
        started = time.perf_counter()
        model.train()
        for start in range(0, n_train, batch):
            chosen = order[start : start + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(train_x[chosen]), train_y[chosen])
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - started
        print(f"epoch {epoch}: {n_train / seconds:.0f} images/s")
    model.eval()
    with torch.no_grad():
        for timed in (False, True):
            started = time.perf_counter()
            correct = 0
            for start in range(0, len(test_x), 1000):
                logits = model(test_x[start : start + 1000])
                correct += int((logits.argmax(1) == test_y[start : start + 1000]).sum())
            seconds = time.perf_counter() - started
        print(f"inference: {len(test_x)} test images in {seconds:.2f} s: "
              f"{len(test_x) / seconds:.0f} images/s (batches of 1000); "
              f"test accuracy {correct / len(test_x):.4f}")


if __name__ == "__main__":
    main()
