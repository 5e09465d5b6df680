"""The policy: a Hugging Face causal LM and its tokenizer, or a tiny one built offline for tests.

The tiny policy is a 2-layer Qwen2-architecture model with a character-level tokenizer assembled
from the `tokenizers` library in code: no download, same weights for the same seed.
"""

from __future__ import annotations

import string

import torch

from training.config import PolicyConfig, TinyPolicy

PAD, BOS, EOS = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
# Qwen-style chat markup; content may be a string or a list of {type: text} parts
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for c in m['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}"
    "{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
_EXTRA_CHARS = "×÷…–—’“”≤≥→←↑↓·°√∞≠±"


def tiny_tokenizer():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set(string.printable) | set(_EXTRA_CHARS))
    vocab = {tok: i for i, tok in enumerate([PAD, BOS, EOS, "<unk>"] + chars)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token=PAD, eos_token=EOS,
                                  unk_token="<unk>", additional_special_tokens=[BOS])
    tok.chat_template = CHAT_TEMPLATE
    return tok


def tiny_model(spec: TinyPolicy, vocab_size: int, pad_id: int, eos_id: int):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(vocab_size=vocab_size, hidden_size=spec.hidden,
                         intermediate_size=2 * spec.hidden, num_hidden_layers=spec.layers,
                         num_attention_heads=spec.heads, num_key_value_heads=max(1, spec.heads // 2),
                         max_position_embeddings=8192, tie_word_embeddings=True,
                         pad_token_id=pad_id, eos_token_id=eos_id, bos_token_id=pad_id)
    # the seed fixes the initial weights without disturbing the caller's RNG stream
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = Qwen2ForCausalLM(config)
    return model


def load_policy(cfg: PolicyConfig, device: str | torch.device = "cpu"):
    """(model, tokenizer); the tokenizer pads on the right (the trainer's layout)."""
    dtype = getattr(torch, cfg.dtype)
    if cfg.path is None:
        tok = tiny_tokenizer()
        model = tiny_model(cfg.tiny, len(tok), tok.pad_token_id, tok.eos_token_id)
    else:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(cfg.path)
        model = AutoModelForCausalLM.from_pretrained(cfg.path, dtype=dtype)
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
    tok.padding_side = "right"
    model = model.to(device=device, dtype=dtype)
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    model.generation_config.pad_token_id = tok.pad_token_id
    return model, tok


def stop_ids(tokenizer) -> list[int]:
    """Tokens that end a reply: the chat end marker and EOS."""
    ids = {tokenizer.eos_token_id}
    im_end = tokenizer.convert_tokens_to_ids(EOS)
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
        ids.add(im_end)
    return sorted(i for i in ids if i is not None)


def param_count(model) -> int:
    return sum(p.numel() for p in model.parameters())
