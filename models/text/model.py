"""Llama-architecture decoder matching llama.cpp's LLM_ARCH_LLAMA.

RMSNorm, RoPE in llama.cpp's "normal" (adjacent-pair / GPT-J) layout so that
weights export to GGUF without the Q/K permutation HF checkpoints need,
SwiGLU MLP, no biases, untied output matrix. forward() takes an explicit
KV cache (list of (k, v) with shape [B, H, T_past, Dh]) for ONNX/TorchScript.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

SIZES = {
    # name: (dim, layers, heads, ffn)
    "tiny": dict(dim=64, n_layers=2, n_heads=4, ffn=192),
    "small": dict(dim=128, n_layers=4, n_heads=4, ffn=384),
    "base": dict(dim=192, n_layers=6, n_heads=6, ffn=512),
}
CTX = 256
ROPE_BASE = 10000.0
EPS = 1e-5


class RMSNorm(nn.Module):
    def __init__(self, d, eps=EPS):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def count(ref):
    """0, 1, ..., n-1 in ref's dtype and on ref's device, ref a 1-D tensor of n elements.

    Instead of torch.arange: torch.jit.trace records the device of every tensor-creating call
    (arange, ones_like, full_like, ...) as a constant, the CPU it was traced on, so the traced
    model would mix CPU and CUDA tensors when LibTorch loads it onto a GPU. A copy of an input
    filled in place stays on the input's device (export_torchscript.py checks the trace)."""
    return torch.cumsum(ref.detach().clone().fill_(1), 0) - 1


def rope(x, pos, base=ROPE_BASE):
    """x [B,H,T,D]; pos [T] float. Rotates adjacent pairs (x0,x1),(x2,x3)...
    like ggml_rope mode 0 (LLAMA_ROPE_TYPE_NORM)."""
    d = x.shape[-1]
    idx = count(x[0, 0, 0, 0::2]) * 2                # 0, 2, ..., d-2 (float32, x's device)
    inv = torch.pow(base, -idx / d)
    ang = pos[:, None] * inv[None, :]              # [T, D/2]
    cos, sin = torch.cos(ang), torch.sin(ang)
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    return torch.stack([r0, r1], dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, dim, n_heads, ffn):
        super().__init__()
        self.h = n_heads
        self.dh = dim // n_heads
        self.attn_norm = RMSNorm(dim)
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.ffn_norm = RMSNorm(dim)
        self.w_gate = nn.Linear(dim, ffn, bias=False)
        self.w_up = nn.Linear(dim, ffn, bias=False)
        self.w_down = nn.Linear(ffn, dim, bias=False)

    def forward(self, x, pos, past_k=None, past_v=None):
        B, T, C = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, self.h, self.dh).transpose(1, 2)
        k = self.wk(h).view(B, T, self.h, self.dh).transpose(1, 2)
        v = self.wv(h).view(B, T, self.h, self.dh).transpose(1, 2)
        q, k = rope(q, pos), rope(k, pos)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        S = k.shape[2]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.dh)       # [B,H,T,S]
        # causal mask: query i (absolute S-T+i) sees keys j <= S-T+i
        qi = count(q[0, 0, :, 0])[:, None] + (S - T)
        kj = count(k[0, 0, :, 0])[None, :]
        att = att.masked_fill(kj > qi, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, C)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        x = x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))
        return x, k, v


class Llama(nn.Module):
    def __init__(self, vocab, dim, n_layers, n_heads, ffn, ctx=CTX):
        super().__init__()
        self.cfg = dict(vocab=vocab, dim=dim, n_layers=n_layers, n_heads=n_heads, ffn=ffn, ctx=ctx,
                        rope_base=ROPE_BASE, eps=EPS)
        self.tok = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList([Block(dim, n_heads, ffn) for _ in range(n_layers)])
        self.norm = RMSNorm(dim)
        self.out = nn.Linear(dim, vocab, bias=False)
        self.apply(self._init)
        for n, p in self.named_parameters():
            if n.endswith("wo.weight") or n.endswith("w_down.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def forward(self, ids, past=None, past_len=None):
        """ids [B,T]. past: list of (k,v) or None. past_len: int/0-d tensor
        (defaults to past k length). Returns logits [B,T,V], presents."""
        T = ids.shape[1]
        if past_len is None:
            past_len = past[0][0].shape[2] if past is not None else 0
        pos = (count(ids[0]) + past_len).to(torch.float32)
        x = self.tok(ids)
        presents = []
        for i, blk in enumerate(self.layers):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = blk(x, pos, pk, pv)
            presents.append((k, v))
        return self.out(self.norm(x)), presents


def build(size, vocab):
    return Llama(vocab, **SIZES[size])


def load(path):
    ck = torch.load(path, map_location="cpu")
    c = ck["cfg"]
    m = Llama(c["vocab"], c["dim"], c["n_layers"], c["n_heads"], c["ffn"], c["ctx"])
    m.load_state_dict(ck["model"])
    m.eval()
    return m, ck


@torch.no_grad()
def greedy(m, ids, n):
    """Greedy decode n tokens using the KV cache. Returns (new ids, first-step logits)."""
    x = torch.tensor([ids])
    logits, past = m(x)
    first = logits[0, -1].clone()
    out = []
    for _ in range(n):
        nxt = int(logits[0, -1].argmax())
        out.append(nxt)
        logits, past = m(torch.tensor([[nxt]]), past)
    return out, first
