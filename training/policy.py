"""The policy: a Hugging Face causal LM (or vision-language model) and its tokenizer, or a tiny one
built offline for tests.

The tiny policy is a 2-layer Qwen2-architecture model with a character-level tokenizer assembled
from the `tokenizers` library in code: no download, same weights for the same seed. With
`tiny.vision` it is a Qwen2.5-VL-architecture model (a one-block vision tower in front of the same
kind of language model) whose tokenizer also knows Qwen's vision markers, and pictures go through
Qwen's own image processor (PIL backend): the image path runs exactly as with a real Qwen2.5-VL.
"""

from __future__ import annotations

import string

import torch

from training.config import PolicyConfig, TinyPolicy

PAD, BOS, EOS = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
VISION_START, IMAGE_PAD, VISION_END = "<|vision_start|>", "<|image_pad|>", "<|vision_end|>"
# Qwen-style chat markup; content may be a string or a list of {type: text | image} parts; an
# image part is one pad token between the vision markers (expanded to the picture's token count
# when the prompt is encoded, as Qwen's processor does)
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for c in m['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}"
    "{% elif c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% endif %}{% endfor %}"
    "{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
_EXTRA_CHARS = "×÷…–—’“”≤≥→←↑↓·°√∞≠±"


def tiny_tokenizer(vision: bool = False, size: int | None = None):
    """The character tokenizer; `size` pads its vocabulary with never-encoded filler tokens up to
    a real model's vocabulary (151,936 for Qwen2.5), so a randomly initialised model of a real
    layout has its real output layer (benchmarks on machines without a download)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set(string.printable) | set(_EXTRA_CHARS))
    words = [PAD, BOS, EOS, "<unk>"] + chars
    if size is not None:
        if size < len(words) + 3:
            raise ValueError(f"a vocabulary of {size} cannot hold the {len(words) + 3} base tokens")
        words += [f"<filler{k}>" for k in range(size - len(words) - (3 if vision else 0))]
    vocab = {tok: i for i, tok in enumerate(words)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    # the vision markers join only a vision policy's vocabulary (the text-only model is unchanged)
    markers = [VISION_START, IMAGE_PAD, VISION_END] if vision else []
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token=PAD, eos_token=EOS,
                                  unk_token="<unk>", additional_special_tokens=[BOS, *markers])
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


def tiny_vl_model(spec: TinyPolicy, tok):
    """Qwen2.5-VL architecture at toy size: vision tower of one block (patch 14, 2x2 merge) whose
    output width is the language model's hidden size."""
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    head_dim = spec.hidden // spec.heads
    # multimodal RoPE splits each head's rotary half into (time, height, width) sections
    half = head_dim // 2
    section = [half - 2 * (half // 3), half // 3, half // 3]
    text = dict(vocab_size=len(tok), hidden_size=spec.hidden, intermediate_size=2 * spec.hidden,
                num_hidden_layers=spec.layers, num_attention_heads=spec.heads,
                num_key_value_heads=max(1, spec.heads // 2), max_position_embeddings=8192,
                rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": section},
                tie_word_embeddings=True, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                bos_token_id=tok.pad_token_id)
    vision = dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=spec.hidden,
                  patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=112,
                  fullatt_block_indexes=[0])
    config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=True,
                              image_token_id=tok.convert_tokens_to_ids(IMAGE_PAD),
                              vision_start_token_id=tok.convert_tokens_to_ids(VISION_START),
                              vision_end_token_id=tok.convert_tokens_to_ids(VISION_END),
                              video_token_id=tok.unk_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = Qwen2_5_VLForConditionalGeneration(config)
    return model


def load_policy(cfg: PolicyConfig, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
                checkpointing: bool | None = None):
    """(model, tokenizer) with the weights stored in `dtype` (the trainer keeps float32 master
    weights; rollout engines and frozen LoRA bases use the compute dtype); the tokenizer pads on
    the right (the trainer's layout). A model folder whose config has a vision tower loads as an
    image-text-to-text model. `checkpointing` (default: the config's choice) turns on gradient
    checkpointing, which transformers applies only in training mode."""
    extra = {"attn_implementation": cfg.attn_implementation} if cfg.attn_implementation else {}
    if cfg.path is None:
        tok = tiny_tokenizer(vision=cfg.tiny.vision)
        if cfg.tiny.vision:
            model = tiny_vl_model(cfg.tiny, tok)
        else:
            model = tiny_model(cfg.tiny, len(tok), tok.pad_token_id, tok.eos_token_id)
        if extra:
            model.set_attn_implementation(cfg.attn_implementation)
    else:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(cfg.path)
        auto = (AutoModelForImageTextToText if hasattr(AutoConfig.from_pretrained(cfg.path), "vision_config")
                else AutoModelForCausalLM)
        model = auto.from_pretrained(cfg.path, dtype=dtype, **extra)
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
    tok.padding_side = "right"
    model = model.to(device=device, dtype=dtype)
    if cfg.checkpointing() if checkpointing is None else checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.generation_config.pad_token_id = tok.pad_token_id
    return model, tok


def vision_token_ids(config) -> list[int]:
    """The picture placeholder and marker tokens of a vision-language model (none otherwise)."""
    keys = ("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id")
    return sorted({getattr(config, k) for k in keys if getattr(config, k, None) is not None})


def is_vision_model(model) -> bool:
    return getattr(model.config, "image_token_id", None) is not None and hasattr(model.config, "vision_config")


def load_image_processor(policy: PolicyConfig, min_pixels: int, max_pixels: int):
    """The picture preprocessor of the policy: Qwen's (PIL backend, no torchvision needed) for the
    tiny vision policy, the model folder's own otherwise; pictures are resized into
    [min_pixels, max_pixels] (each 28 x 28 block becomes one visual token)."""
    if policy.path is None:
        from transformers import Qwen2VLImageProcessorPil

        return Qwen2VLImageProcessorPil(min_pixels=min_pixels, max_pixels=max_pixels, patch_size=14,
                                        merge_size=2, temporal_patch_size=2)
    from transformers import AutoImageProcessor

    return AutoImageProcessor.from_pretrained(policy.path, min_pixels=min_pixels, max_pixels=max_pixels)


def stop_ids(tokenizer) -> list[int]:
    """Tokens that end a reply: the chat end marker and EOS."""
    ids = {tokenizer.eos_token_id}
    im_end = tokenizer.convert_tokens_to_ids(EOS)
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
        ids.add(im_end)
    return sorted(i for i in ids if i is not None)
