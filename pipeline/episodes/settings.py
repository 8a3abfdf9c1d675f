"""The parts of [audio] each episodes task reads: its job holds exactly these, so a video setting never
re-cuts audio and a bitrate never re-encodes video."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..core.settings import AudioSettings


@dataclass(frozen=True)
class Mastering:
    """The [audio] values the audio task reads: cutting, loudness and encoding (not the video's, not the stings)."""

    target_lufs_mono: float  # LUFS integrated, mono episodes
    target_lufs_stereo: float  # LUFS integrated, stereo episodes
    true_peak_db: float  # dBTP ceiling aimed at before encoding
    gate_tolerance_lu: float  # LU an encode may miss its target by
    gate_max_true_peak_db: float  # dBTP an encode may peak at
    crossfade_ms: int  # milliseconds of crossfade at every join
    channels: str  # "auto", "mono" or "stereo"
    shorten_pauses: bool  # shorten silences longer than max_pause_s
    max_pause_s: float  # seconds a pause may last when shortening
    mp3_bitrate_mono_kbps: int
    mp3_bitrate_stereo_kbps: int
    aac_bitrate_mono_kbps: int
    aac_bitrate_stereo_kbps: int
    sample_rate_hz: int  # every encode

    @classmethod
    def of(cls, settings: AudioSettings) -> Mastering:
        return cls(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(cls)})



@dataclass(frozen=True)
class VideoEncoding:
    """The [audio] values the video task reads."""

    height: int  # pixels: the picture is scaled to this height
    crf: int  # x264 quality
    preset: str  # x264 preset
    smart_cut: bool  # copy the recordings' frames between keyframes where they allow it

    @classmethod
    def of(cls, settings: AudioSettings) -> VideoEncoding:
        return cls(settings.video_height, settings.video_crf, settings.video_preset, settings.video_smart_cut)
