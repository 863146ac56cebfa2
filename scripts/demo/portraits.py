"""The procedural portrait dataset of the demo model: attributes → a stylised head-and-shoulders image (drawn with
torch, batched, on any device) and captions composed from the attributes in English, Chinese and mixed phrasing,
with paraphrases and random subsets of the attributes (so a prompt naming one attribute leaves the others free,
which is what CFG with a negative prompt needs).

Attributes: skin tone, hair colour, hair style (short/long/bald), eye colour, glasses, clothing colour, background
colour and style (solid/gradient), light from the left/right/front, framing (head-and-shoulders/close-up).
"Left" and "right" are the viewer's (image) left and right.

The layout (where hair, face, clothes and background fall) is fixed enough that CI can check meaning by region
means: REGIONS gives those regions in fractions of the image. Deliberately no textures, no realism and no
randomness outside the `torch.Generator`/`random.Random` passed in.
"""
import random

import torch

PALETTE = {  # name: (rgb in 0..1, English words, Chinese words)
    "red": ((0.86, 0.13, 0.12), ["red", "crimson"], ["红色", "红"]),
    "orange": ((0.96, 0.55, 0.10), ["orange"], ["橙色", "橘色"]),
    "yellow": ((0.96, 0.86, 0.18), ["yellow"], ["黄色"]),
    "green": ((0.16, 0.64, 0.24), ["green"], ["绿色", "绿"]),
    "blue": ((0.12, 0.30, 0.88), ["blue"], ["蓝色", "蓝"]),
    "purple": ((0.55, 0.22, 0.75), ["purple", "violet"], ["紫色"]),
    "pink": ((0.97, 0.55, 0.72), ["pink"], ["粉色", "粉红色"]),
    "white": ((0.95, 0.95, 0.94), ["white"], ["白色"]),
    "gray": ((0.50, 0.50, 0.52), ["gray", "grey"], ["灰色"]),
    "black": ((0.07, 0.07, 0.08), ["black"], ["黑色"]),
}
HAIR = {
    "black": ((0.09, 0.07, 0.06), ["black", "jet-black"], ["黑色", "乌黑"]),
    "brown": ((0.42, 0.25, 0.12), ["brown", "chestnut"], ["棕色", "褐色"]),
    "blonde": ((0.95, 0.82, 0.42), ["blonde", "golden"], ["金色", "金黄色"]),
    "red": ((0.80, 0.24, 0.08), ["red", "ginger"], ["红色", "红"]),
    "white": ((0.92, 0.92, 0.90), ["white", "silver"], ["白色", "银色"]),
    "blue": ((0.15, 0.35, 0.92), ["blue"], ["蓝色"]),
    "pink": ((0.96, 0.48, 0.70), ["pink"], ["粉色"]),
}
EYES = {
    "blue": ((0.15, 0.45, 0.95), ["blue"], ["蓝色"]),
    "green": ((0.12, 0.70, 0.25), ["green"], ["绿色"]),
    "brown": ((0.38, 0.22, 0.08), ["brown", "dark"], ["棕色", "褐色"]),
}
SKIN = {
    "light": ((0.97, 0.84, 0.74), ["light", "pale", "fair"], ["白皙", "浅色"]),
    "medium": ((0.86, 0.66, 0.50), ["medium", "olive"], ["中等", "橄榄色"]),
    "tan": ((0.70, 0.49, 0.33), ["tan", "tanned"], ["小麦色"]),
    "dark": ((0.40, 0.26, 0.18), ["dark", "deep brown"], ["深色", "黝黑"]),
}
STYLES = ["short", "long", "bald"]
BACKDROPS = ["solid", "gradient"]
LIGHTS = ["left", "right", "front"]
FRAMINGS = ["shoulders", "closeup"]
ATTRS = {  # attribute: its values, in index order
    "skin": list(SKIN), "hair": list(HAIR), "style": STYLES, "eyes": list(EYES), "glasses": [False, True],
    "clothes": list(PALETTE), "bg": list(PALETTE), "backdrop": BACKDROPS, "light": LIGHTS, "framing": FRAMINGS,
}

# Regions (y0, y1, x0, x1 as fractions) that hold one attribute whatever the unnamed ones are (any framing, style):
REGIONS = {
    "background": [(0.02, 0.14, 0.02, 0.14), (0.02, 0.14, 0.86, 0.98)],
    "hair": [(0.24, 0.31, 0.44, 0.56)],  # top of the head (not for bald)
    "clothes": [(0.90, 0.98, 0.36, 0.64)],
    "face_left": [(0.40, 0.50, 0.38, 0.44)],
    "face_right": [(0.40, 0.50, 0.56, 0.62)],
}


def sample_attributes(n, rng: random.Random):
    return [{k: rng.randrange(len(v)) for k, v in ATTRS.items()} for _ in range(n)]


# ---------------------------------------------------------------------------------------------------------- drawing

def _table(d, device):
    return torch.tensor([v[0] for v in d.values()], dtype=torch.float32, device=device)


def render(attrs, size=256, device="cpu", generator=None):
    """attrs: list of attribute dicts (indices) → images [B,3,size,size] in [-1,1]."""
    B = len(attrs)
    g = generator
    col = lambda name: torch.tensor([a[name] for a in attrs], device=device)
    jit = lambda *shape: (torch.rand(*shape, generator=g, device="cpu") * 2 - 1).to(device)
    yy = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) / size
    y, x = yy.view(1, 1, size, 1), yy.view(1, 1, 1, size)
    px = 1.0 / size
    view = lambda t: t.view(B, 1, 1, 1)

    def cj(rgb, amt=0.035):  # colour jitter per sample
        return (rgb + amt * jit(B, 3)).clamp(0, 1).view(B, 3, 1, 1)

    def ell(cx, cy, rx, ry):  # soft inside-mask of an ellipse
        d = (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2).sqrt() - 1
        return torch.sigmoid(-d * torch.minimum(rx, ry) / (0.7 * px))

    def paint(img, m, c):
        return img * (1 - m) + c * m

    close = view(col("framing").float())
    s = 1 + 0.35 * close + 0.04 * view(jit(B))
    cx = 0.5 + 0.025 * view(jit(B))
    cy = 0.42 + 0.03 * close + 0.015 * view(jit(B))
    rx, ry = 0.155 * s, 0.195 * s

    bg = cj(_table(PALETTE, device)[col("bg")])
    grad = view(col("backdrop").float())
    shade_bg = 1 - grad * 0.55 * y  # gradient: the colour darkens downwards
    img = (bg * shade_bg).expand(B, 3, size, size).clone()

    hair_c = cj(_table(HAIR, device)[col("hair")])
    style = col("style")
    long_ = view((style == 1).float())
    has_hair = view((style != 2).float())
    skin = cj(_table(SKIN, device)[col("skin")], 0.025)

    # long hair behind the body
    back = ell(cx, cy + 0.12 * s, 0.215 * s, 0.30 * s) * (y > cy).float()
    img = paint(img, back * long_, hair_c)
    # shoulders and clothes
    cloth = cj(_table(PALETTE, device)[col("clothes")])
    img = paint(img, ell(cx, 1.06 + 0.0 * s, 0.40 * s, 0.30 * s), cloth)
    # neck
    neck = torch.sigmoid((0.055 * s - (x - cx).abs()) / (0.7 * px)) * (y > cy).float() * (y < cy + 0.36 * s).float()
    img = paint(img, neck, skin * 0.85)
    # face
    face = ell(cx, cy, rx, ry)
    img = paint(img, face, skin)
    # hair on top of the head (short and long), not below the hairline inside the face
    top = ell(cx, cy - 0.03 * s, rx * 1.12, ry * 1.08)
    above = torch.sigmoid(((cy - 0.35 * ry) - y) / (1.5 * px))
    hair_m = top * torch.maximum(above, 1 - face)
    sides = ell(cx, cy + 0.05 * s, rx * 1.16, ry * 1.02) * (1 - face) * long_
    img = paint(img, (torch.maximum(hair_m, sides)) * has_hair, hair_c)
    # eyes: sclera, iris, pupil
    ex, ey = 0.38 * rx, cy - 0.04 * ry
    iris = cj(_table(EYES, device)[col("eyes")], 0.02)
    for sign in (-1, 1):
        exc = cx + sign * ex
        img = paint(img, ell(exc, ey, 0.20 * rx, 0.11 * ry), torch.ones(1, 3, 1, 1, device=device) * 0.97)
        img = paint(img, ell(exc, ey, 0.10 * rx, 0.10 * rx), iris)
        img = paint(img, ell(exc, ey, 0.045 * rx, 0.045 * rx), torch.zeros(1, 3, 1, 1, device=device))
    # glasses: two rings and a bridge
    gl = view(col("glasses").float())
    frame = torch.zeros_like(face)
    for sign in (-1, 1):
        exc = cx + sign * ex
        r = (((x - exc) / (0.30 * rx)) ** 2 + ((y - ey) / (0.22 * ry)) ** 2).sqrt()
        frame = torch.maximum(frame, torch.sigmoid((0.12 - (r - 1).abs()) * 0.30 * rx / (0.7 * px)))
    bridge = ((x - cx).abs() < 0.10 * rx).float() * ((y - ey).abs() < 0.012 * s).float()
    img = paint(img, torch.maximum(frame, bridge) * gl, torch.full((1, 3, 1, 1), 0.05, device=device))
    # mouth
    img = paint(img, ell(cx, cy + 0.52 * ry, 0.28 * rx, 0.07 * ry), torch.tensor([0.62, 0.16, 0.18], device=device).view(1, 3, 1, 1))

    # light: the lit side brighter, the other darker; front light evenly bright. Foreground only.
    fg = torch.maximum(torch.maximum(face, ell(cx, 1.06, 0.40 * s, 0.30 * s)), torch.maximum(hair_m * has_hair, neck))
    fg = torch.maximum(fg, back * long_)
    light = col("light")
    side = view(torch.where(light == 0, -1.0, torch.where(light == 1, 1.0, 0.0)))
    shade = 1 + side * 0.45 * ((x - cx) / (0.3 * s)).clamp(-1, 1) + view((light == 2).float()) * 0.08
    img = img * (1 - fg) + (img * shade).clamp(0, 1) * fg
    return img.clamp(0, 1) * 2 - 1


# --------------------------------------------------------------------------------------------------------- captions

EN_INTRO = ["a portrait of a person", "portrait", "a stylised portrait", "an illustration of a person", "a drawing of someone",
            "a simple portrait", "a person", ""]
ZH_INTRO = ["一幅人物肖像", "肖像", "一个人的画像", "人物插画", "一张简单的肖像", ""]


def _en(attr, a, rng):
    c = lambda d, i: rng.choice(list(d.values())[i][1])
    if attr == "hair":
        if a["style"] == 2:
            return rng.choice(["bald", "a bald head", "no hair"])
        h = c(HAIR, a["hair"])
        st = STYLES[a["style"]] if rng.random() < 0.6 else ""
        return rng.choice([f"{st} {h} hair".strip(), f"{h} hair", f"{h}-haired", f"hair: {h}"] if not st else
                          [f"{st} {h} hair", f"{h} hair, {st}", f"{st}, {h} hair"])
    if attr == "eyes":
        e = c(EYES, a["eyes"])
        return rng.choice([f"{e} eyes", f"with {e} eyes", f"eyes: {e}"])
    if attr == "skin":
        k = c(SKIN, a["skin"])
        return rng.choice([f"{k} skin", f"{k} skin tone", f"skin: {k}"])
    if attr == "glasses":
        return rng.choice(["wearing glasses", "with glasses", "glasses"]) if a["glasses"] else rng.choice(["no glasses", "without glasses"])
    if attr == "clothes":
        k = c(PALETTE, a["clothes"])
        return rng.choice([f"a {k} shirt", f"wearing {k}", f"{k} clothes", f"in a {k} sweater", f"{k} top"])
    if attr == "bg":
        k = c(PALETTE, a["bg"])
        if a["backdrop"] == 1 and rng.random() < 0.7:
            return rng.choice([f"{k} gradient background", f"a {k} gradient behind"])
        return rng.choice([f"{k} background", f"on a {k} background", f"against a {k} backdrop", f"background: {k}"])
    if attr == "light":
        return {0: ["light from the left", "lit from the left", "left lighting"],
                1: ["light from the right", "lit from the right", "right lighting"],
                2: ["front lighting", "lit from the front", "frontal light"]}[a["light"]][rng.randrange(3)]
    if attr == "framing":
        return rng.choice(["close-up", "a close-up portrait", "face close-up"] if a["framing"] else
                          ["head and shoulders", "head-and-shoulders portrait", "bust shot"])
    raise KeyError(attr)


def _zh(attr, a, rng):
    c = lambda d, i: rng.choice(list(d.values())[i][2])
    if attr == "hair":
        if a["style"] == 2:
            return rng.choice(["光头", "没有头发"])
        h = c(HAIR, a["hair"])
        st = ["短发", "长发"][a["style"]]
        return rng.choice([f"{h}{st}", f"{h}的头发", f"{h}头发", f"{st}，{h}头发"])
    if attr == "eyes":
        e = c(EYES, a["eyes"])
        return rng.choice([f"{e}眼睛", f"{e}的眼睛"])
    if attr == "skin":
        k = c(SKIN, a["skin"])
        return rng.choice([f"{k}皮肤", f"{k}的肤色"])
    if attr == "glasses":
        return rng.choice(["戴眼镜", "戴着眼镜"]) if a["glasses"] else "不戴眼镜"
    if attr == "clothes":
        k = c(PALETTE, a["clothes"])
        return rng.choice([f"穿{k}衣服", f"{k}上衣", f"穿着{k}的衬衫"])
    if attr == "bg":
        k = c(PALETTE, a["bg"])
        if a["backdrop"] == 1 and rng.random() < 0.7:
            return f"{k}渐变背景"
        return rng.choice([f"{k}背景", f"{k}的背景"])
    if attr == "light":
        return {0: ["光从左边照来", "左侧光"], 1: ["光从右边照来", "右侧光"], 2: ["正面光", "正面打光"]}[a["light"]][rng.randrange(2)]
    if attr == "framing":
        return rng.choice(["特写", "面部特写"] if a["framing"] else ["半身像", "头肩像"])
    raise KeyError(attr)


CAPTION_ATTRS = ["hair", "eyes", "skin", "glasses", "clothes", "bg", "light", "framing"]


def caption(a, rng: random.Random, p_mention=0.7):
    """One caption for attributes `a`: a random subset (at least one) in random order, English, Chinese or mixed."""
    named = [k for k in CAPTION_ATTRS if rng.random() < p_mention] or [rng.choice(CAPTION_ATTRS)]
    rng.shuffle(named)
    lang = rng.choices(["en", "zh", "mix"], [0.45, 0.35, 0.20])[0]
    if lang == "en":
        parts = [_en(k, a, rng) for k in named]
        intro = rng.choice(EN_INTRO)
        if intro and rng.random() < 0.4 and len(parts) > 1:
            return f"{intro} with {', '.join(parts[:-1])} and {parts[-1]}"
        return ", ".join(([intro] if intro else []) + parts)
    if lang == "zh":
        parts = [_zh(k, a, rng) for k in named]
        intro = rng.choice(ZH_INTRO)
        sep = rng.choice(["，", "、", ","])
        return (intro + "：" if intro and rng.random() < 0.5 else (intro + sep if intro else "")) + sep.join(parts)
    parts = [(_en if rng.random() < 0.5 else _zh)(k, a, rng) for k in named]
    intro = rng.choice(EN_INTRO + ZH_INTRO)
    return ", ".join(([intro] if intro else []) + parts)
