"""Train the small CNN behind the image scores and write assets/{dataset}_classifier.pt.

    python scripts/train_classifier.py --dataset mnist --data-root ../shared/data   (after pip install -e .)
"""

from __future__ import annotations

import argparse
import time

import torch

from explorer.metrics.classifier import CLASSIFIER_DATASETS, save_classifier, train_classifier, weights_path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=CLASSIFIER_DATASETS, default="mnist")
    p.add_argument("--data-root", default="data", help="folder holding MNIST/raw or FashionMNIST/raw")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    p.add_argument("--out", default=None, help="where to write the weights (default: assets/)")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model = train_classifier(args.dataset, args.data_root, args.epochs, args.device, args.seed)
    out = save_classifier(model, args.dataset, args.out or weights_path(args.dataset))
    print(f"{args.dataset}: test accuracy {model.test_accuracy:.4f} in {time.perf_counter() - start:.0f} s; "
          f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
