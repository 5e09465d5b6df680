"""The worker extension helix gives vLLM's workers: it receives the trainer's weights.

vLLM mixes this class into each of its GPU workers when the engine is created with
`worker_extension_cls="training.rollout.vllm_ext.WeightReceiver"`; the methods are then called
by name through `LLM.collective_rpc` (vLLM refuses Python callables there unless insecure
serialisation is switched on). Weights arrive in buckets: a list of (name, dtype, shape) and one
flat tensor holding them end to end, either broadcast over a NCCL group that the trainer's rank 0
opened (engine on its own GPUs) or shared through a CUDA IPC handle (engine on the trainer's GPU).
Each bucket goes to the model's own `load_weights`, which knows the checkpoint names (fused
projections, tied embeddings, tensor-parallel shards).

This module is imported inside vLLM's worker processes; vllm is imported lazily.
"""

from __future__ import annotations

import torch

Bucket = list[tuple[str, str, list[int]]]  # (name, dtype name, shape) in the flat tensor's order


def unflatten(flat: torch.Tensor, bucket: Bucket) -> list[tuple[str, torch.Tensor]]:
    """The named tensors of a bucket as views of its flat tensor."""
    out, offset = [], 0
    for name, _, shape in bucket:
        n = 1
        for d in shape:
            n *= d
        out.append((name, flat[offset: offset + n].view(shape)))
        offset += n
    if offset != flat.numel():
        raise ValueError(f"bucket describes {offset} elements, the tensor holds {flat.numel()}")
    return out


def bucket_dtype(bucket: Bucket) -> torch.dtype:
    dtypes = {d for _, d, _ in bucket}
    if len(dtypes) != 1:
        raise ValueError(f"a bucket holds one dtype, got {sorted(dtypes)}")
    return getattr(torch, dtypes.pop())


class WeightReceiver:
    """Methods vLLM adds to its workers (`self` is the worker: `self.device`,
    `self.model_runner.model`)."""

    def helix_open_group(self, host: str, port: int, rank_offset: int, world_size: int) -> int:
        """Join the trainer's weight group: the trainer is rank 0, worker k is rank_offset + k."""
        from vllm.distributed.device_communicators.pynccl import PyNcclCommunicator
        from vllm.distributed.parallel_state import get_world_group
        from vllm.distributed.utils import StatelessProcessGroup

        rank = get_world_group().rank + rank_offset
        group = StatelessProcessGroup.create(host=host, port=port, rank=rank, world_size=world_size)
        self._helix_group = PyNcclCommunicator(group, device=self.device)
        return rank

    def helix_receive(self, bucket: Bucket) -> int:
        """One bucket over the NCCL group (the trainer broadcasts it from rank 0)."""
        group = getattr(self, "_helix_group", None)
        if group is None:
            raise RuntimeError("helix_receive before helix_open_group")
        numel = sum(_numel(shape) for _, _, shape in bucket)
        flat = torch.empty(numel, dtype=bucket_dtype(bucket), device=self.device)
        group.broadcast(flat, src=0, stream=torch.cuda.current_stream() if flat.is_cuda else None)
        self.model_runner.model.load_weights(weights=unflatten(flat, bucket))
        return len(bucket)

    def helix_receive_ipc(self, bucket: Bucket, handle) -> int:
        """One bucket through a CUDA IPC handle of the trainer's tensor on this same GPU
        (`torch.multiprocessing.reductions.reduce_tensor`); the device index is this process's."""
        rebuild, args = handle
        args = list(args)
        cuda = getattr(rebuild, "__name__", "") == "rebuild_cuda_tensor"
        if cuda:
            args[6] = self.device.index  # the same GPU, numbered as this process sees it
        flat = rebuild(*args)
        self.model_runner.model.load_weights(weights=unflatten(flat, bucket))
        if cuda:
            torch.cuda.synchronize(self.device)  # done reading before the trainer frees the buffer
        return len(bucket)

    def helix_device_uuid(self) -> str:
        return str(torch.cuda.get_device_properties(self.device).uuid)


def _numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
