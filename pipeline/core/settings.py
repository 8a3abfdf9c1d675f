"""Per-stage settings from the course file's optional tables ([audio], [transcription], ...).

Each stage owns one frozen dataclass here. The course loader fills it from the
table of the same name: every key must be a field (typos are reported), and a
value must have the field's type. Every field has a default, so a course file
may leave a whole table out. A stage's settings are part of its staleness key.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AudioSettings:
    """[audio]: cutting, loudness and encoding (the episodes stage)."""

    target_lufs_mono: float = -19.0  # LUFS integrated, mono episodes (AES TD1008 / Apple)
    target_lufs_stereo: float = -16.0  # LUFS integrated, stereo episodes
    true_peak_db: float = -1.5  # dBTP ceiling aimed at before encoding
    gate_tolerance_lu: float = 1.0  # LU: an encoded file further off its target fails the build
    gate_max_true_peak_db: float = -1.0  # dBTP: an encoded file peaking above fails the build
    crossfade_ms: int = 30  # milliseconds of crossfade at every join
    channels: str = "auto"  # "auto" (mono unless a source is plain stereo), "mono" or "stereo"
    shorten_pauses: bool = False  # shorten silences longer than max_pause_s
    max_pause_s: float = 1.2  # seconds a pause may last when shorten_pauses is on
    mp3_bitrate_mono_kbps: int = 96  # CBR
    mp3_bitrate_stereo_kbps: int = 128  # CBR
    aac_bitrate_mono_kbps: int = 64
    aac_bitrate_stereo_kbps: int = 96
    sample_rate_hz: int = 44100  # every encode
    intro: str = ""  # sting before every episode, relative to the course folder ("" = none)
    outro: str = ""  # sting after every episode ("" = none)
    video_height: int = 720  # pixels, video episodes are scaled to this height
    video_crf: int = 23  # x264 quality
    video_preset: str = "veryfast"  # x264 preset


@dataclass(frozen=True)
class TranscriptionSettings:
    """[transcription]: engine, model and decoding options (the transcribe stage)."""

    engine: str = "auto"  # "auto", "faster-whisper" or "openai-whisper"
    model: str = "tiny.en"  # a Whisper model name, a checkpoint path or a CTranslate2 folder
    vocabulary: tuple[str, ...] = ()  # names and terms that steer decoding (speaker names are added)
    beam_size: int = 5  # beams searched at temperature 0
    temperature_fallback: bool = True  # retry at higher temperature when a window fails
    vad: bool = True  # skip non-speech with voice-activity detection (Silero)
    no_speech_threshold: float = 0.6  # probability above which a failed window counts as silence
    compression_ratio_threshold: float = 2.4  # gzip ratio above which a window is a loop: retry
    log_prob_threshold: float = -1.0  # average log probability below which a window failed: retry
    condition_on_previous_text: bool = True  # each window sees the last one's text (loops are guarded)


@dataclass(frozen=True)
class CaptionSettings:
    """[captions]: the broadcast rules captions are split and linted by."""

    max_chars_per_line: int = 42  # characters
    max_lines: int = 2  # lines per cue
    max_cps: float = 17.0  # characters per second of reading speed
    min_duration_s: float = 0.83  # seconds a cue stays on screen at least
    max_duration_s: float = 7.0  # seconds a cue stays on screen at most
    min_gap_frames: int = 2  # frames between cues
    frame_rate: float = 25.0  # frames per second the gap is counted in


@dataclass(frozen=True)
class VideoSettings:
    """[video]: the captioned-video stage."""

    open_captions: bool = False  # also burn captions in (a re-encode)
    open_caption_preset: str = "veryfast"  # x264 preset for the burned-in rendition (2x realtime at 720p, 2 cores)
    open_caption_crf: int = 21  # x264 quality, 0 (lossless) .. 51; lower = better picture, bigger file
    font: str = "DejaVu Sans"  # burned-in caption font, a fontconfig family; must cover ÅÄÖØÆÐÞ


@dataclass(frozen=True)
class FeedSettings:
    """[feeds]: podcast feed options."""

    video_feeds: bool = True  # a video feed per module where the module has video episodes
    locked: bool = True  # podcast:locked: refuse imports into other hosts
    explicit: bool = False  # itunes:explicit
    feed_type: str = "serial"  # itunes:type: the course is taken in order


@dataclass(frozen=True)
class PrintSettings:
    """[print]: printed transcripts."""

    paper: str = "A4"  # "A4" or "Letter"
    font: str = "DejaVu Serif"  # body font family (embedded TrueType)
    heading_font: str = "DejaVu Sans"  # family of headings, speaker names, timecodes, page furniture
    low_confidence: float = 0.5  # words below this probability are marked in the proof edition


STAGE_SETTINGS = {
    "audio": AudioSettings,
    "transcription": TranscriptionSettings,
    "captions": CaptionSettings,
    "video": VideoSettings,
    "feeds": FeedSettings,
    "print": PrintSettings,
}
