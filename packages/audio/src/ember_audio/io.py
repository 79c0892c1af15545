"""Reading and writing audio files: ``load``, ``save``, ``info`` (torchaudio's names and defaults).

Everything goes through `soundfile <https://python-soundfile.readthedocs.io>`_ (libsndfile), so
WAV, FLAC, OGG/Vorbis (and MP3 where the installed libsndfile has it) work. The rules for dtypes
and encodings are the ones of torchaudio's soundfile backend:

- ``load(normalize=True)`` gives float32 in [-1, 1]; ``normalize=False`` on a WAV file gives the
  samples' own integer type (int16, int32, uint8).
- ``save`` picks the WAV subtype from the tensor's dtype unless ``encoding`` /
  ``bits_per_sample`` say otherwise.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np
import soundfile

import ember

__all__ = ["AudioMetaData", "info", "load", "save"]

# subtype → the dtype ``load(normalize=False)`` returns for WAV files
_SUBTYPE_TO_DTYPE = {"PCM_S8": "int8", "PCM_U8": "uint8", "PCM_16": "int16", "PCM_32": "int32",
                     "FLOAT": "float32", "DOUBLE": "float64"}
_SUBTYPE_TO_BITS = {"PCM_S8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "PCM_U8": 8,
                    "FLOAT": 32, "DOUBLE": 64, "ULAW": 8, "ALAW": 8, "IMA_ADPCM": 0,
                    "MS_ADPCM": 0, "GSM610": 0, "VORBIS": 0, "OPUS": 0, "MPEG_LAYER_III": 0}
_SUBTYPE_TO_ENCODING = {"PCM_S8": "PCM_S", "PCM_16": "PCM_S", "PCM_24": "PCM_S",
                        "PCM_32": "PCM_S", "PCM_U8": "PCM_U", "FLOAT": "PCM_F",
                        "DOUBLE": "PCM_F", "ULAW": "ULAW", "ALAW": "ALAW", "VORBIS": "VORBIS",
                        "OPUS": "OPUS", "MPEG_LAYER_III": "MP3"}


@dataclass
class AudioMetaData:
    """What ``info`` returns.

    Args:
        sample_rate: frames per second.
        num_frames: frames in the file (samples per channel).
        num_channels: channels.
        bits_per_sample: bits of one sample; 0 for compressed formats (Vorbis, MP3…).
        encoding: ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"FLAC"``, ``"ULAW"``, ``"ALAW"``,
            ``"VORBIS"``, ``"MP3"`` or ``"UNKNOWN"``.
    """

    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str


def _open_error(path, err: Exception) -> RuntimeError:
    return RuntimeError(f"Failed to read the audio file {os.fspath(path)!r}: {err}")


def _check_not_truncated(path, file: soundfile.SoundFile) -> None:
    """libsndfile quietly shortens a WAV whose data chunk runs past the end of the file; a file
    cut in transfer must not load as a shorter, valid one."""
    if file.format != "WAV" or not isinstance(path, (str, os.PathLike)):
        return
    with open(path, "rb") as raw:
        header = raw.read(1 << 16)
    if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        return
    pos = 12
    while pos + 8 <= len(header):                   # walk the RIFF chunks up to "data"
        chunk_id, size = header[pos:pos + 4], int.from_bytes(header[pos + 4:pos + 8], "little")
        if chunk_id == b"data":
            available = os.path.getsize(path) - (pos + 8)
            if size != 0xFFFFFFFF and size > available:
                raise RuntimeError(f"The audio file {os.fspath(path)!r} is truncated: its data "
                                   f"chunk declares {size} bytes but only {available} follow "
                                   f"offset {pos + 8}")
            return
        pos += 8 + size + (size & 1)                 # chunks are padded to an even size


def info(uri, format=None, buffer_size: int = 4096, backend=None) -> AudioMetaData:
    """Metadata of an audio file (no samples are decoded).

    Examples:
        >>> meta = ember_audio.info("speech.wav")
        >>> meta.sample_rate, meta.num_frames, meta.encoding
    """
    try:
        with soundfile.SoundFile(uri, "r", format=format) as file:
            _check_not_truncated(uri, file)
            subtype, fmt = file.subtype, file.format
            return AudioMetaData(file.samplerate, file.frames, file.channels,
                                 _SUBTYPE_TO_BITS.get(subtype, 0),
                                 "FLAC" if fmt == "FLAC" else
                                 _SUBTYPE_TO_ENCODING.get(subtype, "UNKNOWN"))
    except (soundfile.LibsndfileError, TypeError, ValueError) as err:
        raise _open_error(uri, err) from err


def load(uri, frame_offset: int = 0, num_frames: int = -1, normalize: bool = True,
         channels_first: bool = True, format=None, buffer_size: int = 4096,
         backend=None) -> tuple[ember.Tensor, int]:
    """Load an audio file → ``(waveform, sample_rate)``.

    Args:
        uri: path (or file-like object) of the audio file.
        frame_offset: frames to skip at the start.
        num_frames: frames to read (-1: to the end).
        normalize: float32 in [-1, 1] (True), or a WAV file's own integer samples (False).
        channels_first: ``(channels, frames)`` (True) or ``(frames, channels)``.

    Examples:
        >>> waveform, sample_rate = ember_audio.load("speech.wav")
        >>> waveform.shape
        ember.Size([1, 64000])
    """
    if frame_offset < 0:
        raise ValueError(f"frame_offset must be non-negative, got {frame_offset}")
    if num_frames == 0 or num_frames < -1:
        raise ValueError(f"num_frames must be -1 or positive, got {num_frames}")
    try:
        with soundfile.SoundFile(uri, "r", format=format) as file:
            _check_not_truncated(uri, file)
            if file.format != "WAV" or normalize:
                dtype = "float32"
            elif file.subtype not in _SUBTYPE_TO_DTYPE:
                raise ValueError(f"Unsupported subtype: {file.subtype}")
            else:
                dtype = _SUBTYPE_TO_DTYPE[file.subtype]
            if frame_offset > file.frames:
                raise ValueError(f"frame_offset={frame_offset} is past the end of the file "
                                 f"({file.frames} frames)")
            file.seek(frame_offset)
            data = _read(file, num_frames, dtype)
            sample_rate = file.samplerate
    except (soundfile.LibsndfileError, TypeError) as err:
        raise _open_error(uri, err) from err
    waveform = ember.from_numpy(np.ascontiguousarray(data.T if channels_first else data))
    return waveform, sample_rate


def _read(file: soundfile.SoundFile, num_frames: int, dtype: str) -> np.ndarray:
    """Read frames; soundfile has no 8-bit dtypes, so those come through int16."""
    if dtype in ("int8", "uint8"):
        data = file.read(num_frames, "int16", always_2d=True)
        data = data >> 8                                          # the top byte: the 8-bit sample
        return (data + 128).astype(np.uint8) if dtype == "uint8" else data.astype(np.int8)
    return file.read(num_frames, dtype, always_2d=True)


def save(uri, src: ember.Tensor, sample_rate: int, channels_first: bool = True,
         compression=None, format=None, encoding=None, bits_per_sample=None,
         buffer_size: int = 4096, backend=None) -> None:
    """Save a 2-D waveform to an audio file.

    Args:
        uri: destination path; its extension picks the format unless ``format`` is given.
        src: ``(channels, frames)`` (or ``(frames, channels)`` with ``channels_first=False``).
        sample_rate: frames per second.
        encoding: ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"ULAW"``, ``"ALAW"`` (WAV),
            ``"vorbis"``/``"opus"`` (OGG).
        bits_per_sample: 8, 16, 24, 32 or 64.

    Examples:
        >>> ember_audio.save("out.flac", waveform, 16000, bits_per_sample=24)
    """
    if src.ndim != 2:
        raise ValueError(f"Expected 2D Tensor, got {src.ndim}D.")
    if compression is not None:
        warnings.warn("The argument 'compression' is ignored by the soundfile backend.",
                      stacklevel=2)
    ext = (str(os.fspath(uri)).split(".")[-1] if format is None else format).lower()
    if bits_per_sample not in (None, 8, 16, 24, 32, 64):
        raise ValueError("Invalid bits_per_sample.")
    subtype = _get_subtype(src.dtype, ext, encoding, bits_per_sample)
    if ext == "sph":                    # libsndfile knows NIST SPHERE as "nist"
        ext = "nist"
    data = src.detach().cpu().numpy()
    data = data.T if channels_first else data
    if data.dtype == np.uint8:          # soundfile writes no uint8 arrays: go through float
        data = (data.astype(np.float32) - 128) / 128
    elif data.dtype == np.int8:
        data = data.astype(np.float32) / 128
    soundfile.write(uri, data, sample_rate, subtype=subtype, format=ext)


def _get_subtype(dtype, ext: str, encoding, bits_per_sample) -> str:
    if ext == "wav":
        return _get_subtype_for_wav(dtype, encoding, bits_per_sample)
    if ext == "flac":
        if encoding:
            raise ValueError("flac does not support encoding.")
        if not bits_per_sample:
            return "PCM_16"
        if bits_per_sample > 24:
            raise ValueError("flac does not support bits_per_sample > 24.")
        return "PCM_S8" if bits_per_sample == 8 else f"PCM_{bits_per_sample}"
    if ext in ("ogg", "vorbis"):
        if bits_per_sample:
            raise ValueError("ogg/vorbis does not support bits_per_sample.")
        if encoding is None or encoding == "vorbis":
            return "VORBIS"
        if encoding == "opus":
            return "OPUS"
        raise ValueError(f"Unexpected encoding: {encoding}")
    if ext == "mp3":
        return "MPEG_LAYER_III"
    if ext in ("nis", "nist", "sph"):
        return "PCM_16"
    raise ValueError(f"Unsupported format: {ext}")


def _get_subtype_for_wav(dtype, encoding, bits_per_sample) -> str:
    if not encoding:
        if not bits_per_sample:
            subtype = {ember.uint8: "PCM_U8", ember.int16: "PCM_16", ember.int32: "PCM_32",
                       ember.float32: "FLOAT", ember.float64: "DOUBLE"}.get(dtype)
            if not subtype:
                raise ValueError(f"Unsupported dtype for wav: {dtype}")
            return subtype
        return "PCM_U8" if bits_per_sample == 8 else f"PCM_{bits_per_sample}"
    if encoding == "PCM_S":
        if not bits_per_sample:
            return "PCM_32"
        if bits_per_sample == 8:
            raise ValueError("wav does not support 8-bit signed PCM encoding.")
        return f"PCM_{bits_per_sample}"
    if encoding == "PCM_U":
        if bits_per_sample in (None, 8):
            return "PCM_U8"
        raise ValueError("wav only supports 8-bit unsigned PCM encoding.")
    if encoding == "PCM_F":
        if bits_per_sample in (None, 32):
            return "FLOAT"
        if bits_per_sample == 64:
            return "DOUBLE"
        raise ValueError("wav only supports 32/64-bit float PCM encoding.")
    if encoding in ("ULAW", "ALAW"):
        if bits_per_sample in (None, 8):
            return encoding
        raise ValueError(f"wav only supports 8-bit {encoding.lower()[0]}-law encoding.")
    raise ValueError(f"wav does not support {encoding}.")
