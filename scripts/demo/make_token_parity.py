"""Writes scripts/demo/token_parity.json: 300 captions drawn by portraits.py (seed 123) plus the prompts the tests
and samples use, with the token ids of the engine's own tokenizer (scripts/demo/tokenize.ts). train.py checks that
the tokenizer it trains with gives the same ids before it trains. Run from the repository root with any python3
that has torch:  python3 scripts/demo/make_token_parity.py"""
import json
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import portraits as P  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
rng = random.Random(123)
texts = [P.caption(a, rng) for a in P.sample_attributes(300, rng)]
texts += ["", "red background", "blue background", "红色背景", "蓝色背景", "a portrait of a person"]
ids = json.loads(subprocess.run(["npx", "tsx", "scripts/demo/tokenize.ts"], input=json.dumps(texts), cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout)
out = {"source": "scripts/demo/tokenize.ts (inference/tokenizer/qwen3.ts)", "entries": [{"text": t, "ids": i} for t, i in zip(texts, ids)]}
Path(__file__).with_name("token_parity.json").write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
print(len(texts), "captions; longest", max(map(len, ids)), "tokens")
