"""Plots the loss curves recorded by scripts/demo/train.py (train.json) into a PNG: VAE reconstruction (L1 + MSE)
and the DiT + text-encoder flow-matching loss, against training seconds. Needs matplotlib (Debian python3-matplotlib).

  python3 scripts/demo/plot_losses.py TRAIN_JSON OUT_PNG"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rec = json.load(open(sys.argv[1], encoding="utf-8"))
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
v, d = rec["vae"]["losses"], rec["dit"]["losses"]
a.plot([x["step"] for x in v], [x["rec"] for x in v], color="tab:blue")
a.set(title=f"VAE reconstruction (L1 + MSE), batch {rec['vae']['batch']}", xlabel="step", ylabel="loss", yscale="log")
b.plot([x["step"] for x in d], [x["loss"] for x in d], color="tab:red")
b.set(title=f"DiT + text encoder flow matching (MSE on v), batch {rec['dit']['batch']}", xlabel="step", ylabel="loss")
for ax in (a, b):
    ax.grid(alpha=0.3)
fig.suptitle(f"demo model, seed {rec['seed']}, {rec['gpu'] or rec['device']}: VAE {rec['vae']['seconds']} s, "
             f"DiT+TE {rec['dit']['seconds']} s", fontsize=10)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
print("wrote", sys.argv[2])
