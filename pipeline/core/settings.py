"""Per-stage settings from the course file's optional tables ([audio], [transcription], ...).

Each stage owns one frozen dataclass here. The course loader fills it from the
table of the same name: every key must be a field (typos are reported), a value
must have the field's type, and `problems()` names every value no stage could
work with (an unknown choice, a number out of range), so a build stops before
any work with all of them listed. Every field has a default, so a course file
may leave a whole table out. The values a task reads are part of its job, and
so of its staleness key.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

CHANNEL_MODES = ("auto", "mono", "stereo")  # [audio] channels
DENOISE_MODES = ("auto", "off", "on")  # [audio] denoise: "auto" reduces noise only where it is measured
SAMPLE_RATES_HZ = (44100, 48000)  # [audio] sample_rate_hz: what podcast apps and MP4 expect
MAX_CROSSFADE_MS = 500  # milliseconds: longer crossfades smear words across a cut
MIN_PAUSE_S = 0.3  # seconds: shorter allowed pauses would clip word endings
MIN_VIDEO_HEIGHT = 144  # pixels
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
MAX_CRF = 51  # x264 quality scale: 0 (lossless) .. 51
ENGINES = ("auto", "faster-whisper", "openai-whisper")  # [transcription] engine
# Whisper model names: openai-whisper's and faster-whisper's `available_models()` together (a test keeps them so).
MODEL_NAMES = (
    "tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en", "medium", "large-v1", "large-v2",
    "large-v3", "large", "large-v3-turbo", "turbo", "distil-large-v2", "distil-medium.en", "distil-small.en",
    "distil-large-v3", "distil-large-v3.5",
)
FASTER_WHISPER_ONLY = ("distil-large-v2", "distil-medium.en", "distil-small.en", "distil-large-v3", "distil-large-v3.5")
DEVICES = ("auto", "cpu", "cuda")  # [transcription] and [diarization] device (core/devices.py resolves them)
MAX_BEAM_SIZE = 20  # beams: more only costs time
PAPER_SIZES = ("A4", "Letter")  # [print] paper
FEED_TYPES = ("serial", "episodic")  # [feeds] feed_type: itunes:type
MAX_VOICES = 8  # [diarization] speakers: the most voices told apart in one recording


def _failing(rules: Iterable[tuple[str, bool, str]]) -> list[tuple[str, str]]:
    """(key, fix) for every rule (key, holds, fix) that does not hold."""
    return [(key, fix) for key, holds, fix in rules if not holds]


def _one_of(choices: tuple) -> str:
    return "use one of " + ", ".join(repr(c) for c in choices)


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
    aac_bitrate_mono_kbps: int = 64  # M4A (AAC), mono episodes
    aac_bitrate_stereo_kbps: int = 96  # M4A (AAC), stereo episodes
    sample_rate_hz: int = 44100  # every encode
    intro: str = ""  # sting before every episode, relative to the course folder ("" = none)
    outro: str = ""  # sting after every episode ("" = none)
    video_height: int = 720  # pixels, video episodes are scaled to this height
    video_crf: int = 23  # x264 quality
    video_preset: str = "veryfast"  # x264 preset
    video_smart_cut: bool = True  # copy a recording's frames between cuts where it allows (x264, the episode's size)
    level_voices: bool = True  # bring every speaker and passage to one loudness (episodes/leveler.py)
    denoise: str = "auto"  # noise, hum and rumble: "auto" (where measured), "on" or "off" (episodes/denoise.py)

    def problems(self) -> list[tuple[str, str]]:
        return _failing([
            ("channels", self.channels in CHANNEL_MODES, _one_of(CHANNEL_MODES)),
            ("denoise", self.denoise in DENOISE_MODES, _one_of(DENOISE_MODES)),
            ("crossfade_ms", 0 <= self.crossfade_ms <= MAX_CROSSFADE_MS, f"use 0 to {MAX_CROSSFADE_MS}"),
            ("max_pause_s", self.max_pause_s >= MIN_PAUSE_S, f"use {MIN_PAUSE_S} s or more, or word endings get cut"),
            ("true_peak_db", -10.0 <= self.true_peak_db <= self.gate_max_true_peak_db,
             f"use -10 up to gate_max_true_peak_db ({self.gate_max_true_peak_db}), e.g. -1.5"),
            ("gate_max_true_peak_db", self.gate_max_true_peak_db <= 0.0, "use 0 dBTP or lower, e.g. -1.0"),
            ("gate_tolerance_lu", 0.1 <= self.gate_tolerance_lu <= 6.0, "use 0.1 to 6 LU, e.g. 1.0"),
            ("target_lufs_mono", -40.0 <= self.target_lufs_mono <= -10.0, "use -40 to -10 LUFS, e.g. -19"),
            ("target_lufs_stereo", -40.0 <= self.target_lufs_stereo <= -10.0, "use -40 to -10 LUFS, e.g. -16"),
            ("sample_rate_hz", self.sample_rate_hz in SAMPLE_RATES_HZ, _one_of(SAMPLE_RATES_HZ)),
            *((key, 16 <= getattr(self, key) <= 320, "use 16 to 320 kbps") for key in (
                "mp3_bitrate_mono_kbps", "mp3_bitrate_stereo_kbps", "aac_bitrate_mono_kbps", "aac_bitrate_stereo_kbps")),
            ("video_height", self.video_height % 2 == 0 and self.video_height >= MIN_VIDEO_HEIGHT,
             f"use an even number of pixels, {MIN_VIDEO_HEIGHT} or more, e.g. 720"),
            ("video_crf", 0 <= self.video_crf <= MAX_CRF, f"use 0 (lossless) to {MAX_CRF}, e.g. 23"),
            ("video_preset", self.video_preset in X264_PRESETS, _one_of(X264_PRESETS)),
        ])


@dataclass(frozen=True)
class TranscriptionSettings:
    """[transcription]: engine, model and decoding options (the transcribe stage)."""

    engine: str = "auto"  # "auto", "faster-whisper" or "openai-whisper"
    model: str = "tiny.en"  # a Whisper model name, a checkpoint path or a CTranslate2 folder
    models: tuple[tuple[str, str], ...] = ()  # per language, e.g. { de = "base" }: episodes in it use that model
    vocabulary: tuple[str, ...] = ()  # names and terms respelled after decoding (speaker names are added)
    beam_size: int = 5  # beams searched at temperature 0
    temperature_fallback: bool = True  # retry at higher temperature when a window fails
    vad: bool = True  # skip non-speech (Silero VAD); a recording of 30 s or less with speech is decoded whole
    no_speech_threshold: float = 0.6  # probability above which a failed window counts as silence
    compression_ratio_threshold: float = 2.4  # gzip ratio above which a window is a loop: retry
    log_prob_threshold: float = -1.0  # average log probability below which a window failed: retry
    condition_on_previous_text: bool = True  # each window sees the last one's text (loops are guarded)
    min_speech_coverage: float = 0.95  # share of the speech (VAD) that must have words, or check fails (0: off)
    device: str = "auto"  # "auto" (a CUDA GPU when CTranslate2 or torch sees one, else the CPU), "cpu" or "cuda"

    def problems(self) -> list[tuple[str, str]]:
        """Model paths are checked by the course loader, which knows the course folder."""
        return _failing([
            ("engine", self.engine in ENGINES, _one_of(ENGINES)),
            ("model", bool(self.model.strip()), "name a Whisper model, e.g. 'tiny.en' or 'base'"),
            ("model", not (self.model in FASTER_WHISPER_ONLY and self.engine == "openai-whisper"),
             f"{self.model!r} runs in faster-whisper only; set engine = 'faster-whisper' or 'auto'"),
            ("beam_size", 1 <= self.beam_size <= MAX_BEAM_SIZE, f"use 1 to {MAX_BEAM_SIZE}, e.g. 5"),
            ("no_speech_threshold", 0.0 <= self.no_speech_threshold <= 1.0, "use a probability, 0 to 1, e.g. 0.6"),
            ("compression_ratio_threshold", self.compression_ratio_threshold > 1.0, "use a ratio above 1, e.g. 2.4"),
            ("log_prob_threshold", self.log_prob_threshold <= 0.0, "use 0 or below, e.g. -1.0"),
            ("min_speech_coverage", 0.0 <= self.min_speech_coverage <= 1.0, "use a share, 0 (off) to 1, e.g. 0.95"),
            ("device", self.device in DEVICES, _one_of(DEVICES)),
        ])

    @property
    def english_only(self) -> bool:
        """A '.en' model: it transcribes English and nothing else."""
        return self.model.endswith(".en")

    def model_for(self, language: str, episode_model: str = "") -> str:
        """The model an episode is heard with: its own `model`, else the rule for its language (the whole
        tag, then its primary language: 'de-AT', then 'de'), else `model`."""
        if episode_model:
            return episode_model
        rules = {tag.lower(): model for tag, model in self.models}
        primary = language.split("-")[0].lower()
        return rules.get(language.lower()) or rules.get(primary) or self.model


@dataclass(frozen=True)
class DiarizationSettings:
    """[diarization]: who speaks when in one-channel episodes without turn hints (the speakers tasks)."""

    enabled: bool = True  # find the speakers of such episodes by voice (off: their words have no speaker)
    speakers: int = 0  # voices in each such episode; 0: as many as its `speakers` list names
    device: str = "auto"  # segmentation: "auto" (onnxruntime's CUDA provider when installed, else the CPU, in OpenVINO), "cpu" or "cuda"

    def problems(self) -> list[tuple[str, str]]:
        return _failing([("speakers", 0 <= self.speakers <= MAX_VOICES,
                          f"use 0 (the episode's speakers list) or 1 to {MAX_VOICES}"),
                         ("device", self.device in DEVICES, _one_of(DEVICES))])


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

    def problems(self) -> list[tuple[str, str]]:
        """Values no caption could meet."""
        return _failing([
            ("max_chars_per_line", self.max_chars_per_line >= 10, "use at least 10, e.g. 42"),
            ("max_lines", self.max_lines >= 1, "use at least 1, e.g. 2"),
            ("max_cps", self.max_cps > 0, "use a value above 0, e.g. 17"),
            ("min_duration_s", 0 <= self.min_duration_s < self.max_duration_s, "use 0 up to max_duration_s, e.g. 0.83"),
            ("min_gap_frames", self.min_gap_frames >= 0, "use 0 or more, e.g. 2"),
            ("frame_rate", self.frame_rate > 0, "use a value above 0, e.g. 25"),
        ])


@dataclass(frozen=True)
class VideoSettings:
    """[video]: the captioned-video stage."""

    open_captions: bool = False  # also burn captions in (a re-encode)
    open_caption_preset: str = "veryfast"  # x264 preset for the burned-in rendition (2x realtime at 720p, 2 cores)
    open_caption_crf: int = 21  # x264 quality, 0 (lossless) .. 51; lower = better picture, bigger file
    font: str = "DejaVu Sans"  # burned-in caption font, a fontconfig family; must cover ÅÄÖØÆÐÞ

    def problems(self) -> list[tuple[str, str]]:
        """Whether the font is installed is checked before a build, with the other tools."""
        return _failing([
            ("open_caption_preset", self.open_caption_preset in X264_PRESETS, _one_of(X264_PRESETS)),
            ("open_caption_crf", 0 <= self.open_caption_crf <= MAX_CRF, f"use 0 (lossless) to {MAX_CRF}, e.g. 21"),
            ("font", bool(self.font.strip()), "name a font family, e.g. 'DejaVu Sans'"),
        ])


@dataclass(frozen=True)
class FeedSettings:
    """[feeds]: podcast feed options."""

    video_feeds: bool = True  # a video feed per module where the module has video episodes
    locked: bool = True  # podcast:locked: refuse imports into other hosts
    explicit: bool = False  # itunes:explicit
    feed_type: str = "serial"  # itunes:type: the course is taken in order

    def problems(self) -> list[tuple[str, str]]:
        return _failing([("feed_type", self.feed_type in FEED_TYPES, _one_of(FEED_TYPES))])


@dataclass(frozen=True)
class PrintSettings:
    """[print]: printed transcripts."""

    paper: str = "A4"  # "A4" or "Letter"
    font: str = "DejaVu Serif"  # body font family (embedded TrueType)
    heading_font: str = "DejaVu Sans"  # family of headings, speaker names, timecodes, page furniture
    low_confidence: float = 0.5  # words below this probability are marked in the proof edition

    def problems(self) -> list[tuple[str, str]]:
        """Whether the fonts are installed is checked before a build, with the other tools."""
        return _failing([
            ("paper", self.paper in PAPER_SIZES, _one_of(PAPER_SIZES)),
            ("low_confidence", 0.0 <= self.low_confidence <= 1.0, "use a probability, 0 to 1, e.g. 0.5"),
            ("font", bool(self.font.strip()), "name a font family, e.g. 'DejaVu Serif'"),
            ("heading_font", bool(self.heading_font.strip()), "name a font family, e.g. 'DejaVu Sans'"),
        ])


EXECUTORS = ("local", "dask")  # [run] executor / build --executor
SCHEDULER_SCHEMES = ("tcp://", "tls://")  # [run] scheduler: the addresses `dask scheduler` listens on


@dataclass(frozen=True)
class RunSettings:
    """[run]: where a build's tasks execute. Never part of a task's key: the same outputs wherever they run."""

    executor: str = "local"  # "local" (threads in this process) or "dask" (a LocalCluster, or `scheduler`)
    scheduler: str = ""  # a running Dask scheduler, e.g. "tcp://10.0.0.5:8786"; "" = none (implies "dask" if set)

    def problems(self) -> list[tuple[str, str]]:
        address = self.scheduler.strip()
        return _failing([
            ("executor", self.executor in EXECUTORS, _one_of(EXECUTORS)),
            ("scheduler", not address or (address.startswith(SCHEDULER_SCHEMES) and ":" in address.split("://")[1]),
             "give the scheduler's address with its port, e.g. 'tcp://10.0.0.5:8786', or leave it out"),
        ])


@dataclass(frozen=True)
class TranslationSettings:
    """[translation]: machine drafts of the translations the course file asks for (the translate stage)."""

    machine_drafts: bool = True  # draft each cue with an engine where one exists (Apertium; Whisper into English)
    publish_machine_drafts: bool = True  # a cue with only a machine draft counts as translated (labelled as such)
    whisper_model: str = "base"  # multilingual Whisper model that translates a non-English episode into English

    def problems(self) -> list[tuple[str, str]]:
        return _failing([
            ("whisper_model", self.whisper_model in MODEL_NAMES and not self.whisper_model.endswith(".en"),
             "name a multilingual Whisper model (no '.en'), e.g. 'base'"),
        ])


STAGE_SETTINGS = {
    "audio": AudioSettings,
    "transcription": TranscriptionSettings,
    "diarization": DiarizationSettings,
    "captions": CaptionSettings,
    "video": VideoSettings,
    "feeds": FeedSettings,
    "print": PrintSettings,
    "run": RunSettings,
    "translation": TranslationSettings,
}
