"""Reference image-to-image and inpainting runs with diffusers' ZImageImg2ImgPipeline and ZImageInpaintPipeline on
the random full-width weights written by components.py (bf16, CUDA), for the parity check of our engine's image
input on the GPU host. NOT RUN YET: written in the image-input session without device time; the GPU evidence issue
runs it.

  python3 img2img.py --model DIR/diffusers --tokenizer TOKDIR --out DIR [--size 1024] [--steps 8]

Writes DIR/source.png and DIR/mask.png (what `zimage generate --image/--mask` reads), and per case the reference
pixels DIR/ref_<case>.safetensors (U8 [H,W,3]) for compare_png.py:
  img2img     strength 0.6, posterior sampled from the generator (diffusers' default: ε first, then the noise;
              ours: --posterior sample)
  img2img_1   strength 1.0 with sample_mode "argmax" (the posterior mean; ours: --posterior mode), which must equal
              the text-to-image run of the same seed
  inpaint     strength 1.0, a centred box mask, no blur; our engine pastes the source back outside the mask, so the
              comparison is of the masked region (diffusers returns the decoded image everywhere)
Our commands (same seed 1234, CFG off):
  zimage generate --model W --prompt P --width S --height S --seed 1234 --image DIR/source.png --strength 0.6 --posterior sample
  zimage generate ... --image DIR/source.png --strength 1 --posterior mode
  zimage generate ... --image DIR/source.png --mask DIR/mask.png --mask-blur 0 --strength 1 --posterior sample
Caveat measured nowhere yet: in a bf16 pipeline diffusers draws the noise and builds the first noisy latent in
bf16 (prepare_latents' dtype is the text features'); our engine keeps it in fp32.
"""
import argparse

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import AutoTokenizer, Qwen3Model

import diffusers.pipelines.z_image.pipeline_z_image_img2img as img2img_module
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, ZImageImg2ImgPipeline, ZImageInpaintPipeline
from diffusers.models.transformers.transformer_z_image import ZImageTransformer2DModel

PROMPT = "A studio portrait of an elderly fisherman with a weathered face, soft window light, 85mm, photorealistic"


def components(model_dir, tokenizer_dir, dtype=torch.bfloat16):
    return dict(
        scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=False),
        vae=AutoencoderKL.from_pretrained(f"{model_dir}/vae", torch_dtype=dtype),
        text_encoder=Qwen3Model.from_pretrained(f"{model_dir}/text_encoder", torch_dtype=dtype),
        tokenizer=AutoTokenizer.from_pretrained(tokenizer_dir),
        transformer=ZImageTransformer2DModel.from_pretrained(f"{model_dir}/transformer", torch_dtype=dtype),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=8)
    a = ap.parse_args()
    s = a.size
    yy, xx = np.mgrid[0:s, 0:s]
    source = np.stack([xx * 255 // s, yy * 255 // s, ((xx + yy) * 127 // s) % 256], -1).astype(np.uint8)
    Image.fromarray(source).save(f"{a.out}/source.png")
    mask = np.zeros((s, s), np.uint8)
    mask[s // 4 : 3 * s // 4, s // 4 : 3 * s // 4] = 255
    Image.fromarray(mask).save(f"{a.out}/mask.png")
    parts = components(a.model, a.tokenizer)
    i2i = ZImageImg2ImgPipeline(**parts).to("cuda")
    inp = ZImageInpaintPipeline(**parts).to("cuda")
    gen = lambda: torch.Generator("cpu").manual_seed(1234)  # noqa: E731
    common = dict(prompt=PROMPT, height=s, width=s, num_inference_steps=a.steps, guidance_scale=0.0, output_type="np")

    def save(name, image):
        save_file({"pixels": torch.from_numpy((image * 255).round().clip(0, 255).astype("uint8")).contiguous()}, f"{a.out}/ref_{name}.safetensors")

    save("img2img", i2i(image=Image.fromarray(source), strength=0.6, generator=gen(), **common).images[0])
    sample = img2img_module.retrieve_latents
    img2img_module.retrieve_latents = lambda out, generator=None, sample_mode="sample": sample(out, generator, "argmax")
    save("img2img_1", i2i(image=Image.fromarray(source), strength=1.0, generator=gen(), **common).images[0])
    img2img_module.retrieve_latents = sample
    save("inpaint", inp(image=Image.fromarray(source), mask_image=Image.fromarray(mask), strength=1.0, generator=gen(), **common).images[0])
    print("reference image-input runs written to", a.out)


if __name__ == "__main__":
    main()
