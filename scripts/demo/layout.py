"""Puts the flat output of scripts/demo/train.py (transformer/text_encoder/vae .safetensors + train.json) into the
diffusers folder layout that `zimage convert` reads and inference/tiny.ts also writes: model_index.json, the three
component folders with their config.json, scheduler/scheduler_config.json. The tokenizer is not written: the engine
copies the packaged Qwen3 tokenizer.json in when it makes the model (as for the tiny model). Needs no torch.

  python3 scripts/demo/layout.py TRAIN_OUT_DIR DEST_DIR"""
import json
import shutil
import sys
from pathlib import Path

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
rec = json.loads((src / "train.json").read_text(encoding="utf-8"))
d, e, v = rec["config"]["dit"], rec["config"]["te"], rec["config"]["vae"]


def write(rel, value):
    p = dst / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(value, indent=2) + "\n")


write("model_index.json", {
    "_class_name": "ZImagePipeline", "_diffusers_version": "0.36.0",
    "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"], "text_encoder": ["transformers", "Qwen3Model"],
    "tokenizer": ["transformers", "Qwen2Tokenizer"], "transformer": ["diffusers", "ZImageTransformer2DModel"], "vae": ["diffusers", "AutoencoderKL"]})
write("transformer/config.json", {
    "_class_name": "ZImageTransformer2DModel", "all_patch_size": [2], "all_f_patch_size": [1], "in_channels": 16, "dim": d["dim"],
    "n_layers": d["layers"], "n_refiner_layers": d["refiners"], "n_heads": d["heads"], "n_kv_heads": d["heads"], "norm_eps": 1e-5,
    "qk_norm": True, "cap_feat_dim": e["hidden"], "rope_theta": 256.0, "t_scale": 1000.0, "axes_dims": d["axes_dims"],
    "axes_lens": [1536, 512, 512]})
write("text_encoder/config.json", {
    "architectures": ["Qwen3Model"], "model_type": "qwen3", "vocab_size": e["vocab"], "hidden_size": e["hidden"],
    "intermediate_size": e["intermediate"], "num_hidden_layers": e["layers"], "num_attention_heads": e["heads"],
    "num_key_value_heads": e["kv_heads"], "head_dim": e["head_dim"], "hidden_act": "silu", "max_position_embeddings": 40960,
    "rms_norm_eps": 1e-6, "rope_theta": 1000000, "attention_bias": False, "tie_word_embeddings": True, "torch_dtype": "float16"})
write("vae/config.json", {
    "_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3, "latent_channels": v["latent"],
    "block_out_channels": v["block_out"], "layers_per_block": v["layers_per_block"], "norm_num_groups": 32, "act_fn": "silu",
    "mid_block_add_attention": True, "down_block_types": ["DownEncoderBlock2D"] * len(v["block_out"]),
    "up_block_types": ["UpDecoderBlock2D"] * len(v["block_out"]), "use_quant_conv": False, "use_post_quant_conv": False,
    "force_upcast": True, "sample_size": rec["size"], "scaling_factor": rec["vae_scaling_factor"], "shift_factor": rec["vae_shift_factor"]})
write("scheduler/scheduler_config.json", {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0,
                                          "use_dynamic_shifting": False})
shutil.copyfile(src / "transformer.safetensors", dst / "transformer/diffusion_pytorch_model.safetensors")
shutil.copyfile(src / "text_encoder.safetensors", dst / "text_encoder/model.safetensors")
shutil.copyfile(src / "vae.safetensors", dst / "vae/diffusion_pytorch_model.safetensors")
print("diffusers folder written to", dst)
