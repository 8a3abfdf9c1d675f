"""Who speaks when: the machine transcript's speakers, from channels, turn hints or, for one-channel
recordings, the voices found offline on the CPU, named from the course's roster.

    attribute(mix, dst, hints) -> AttributionResult    what was heard + who was where -> machine transcript
    diarize(wav, speakers=2) -> Diarization            turns (start, end, label) + a voice per label
    diarize_file(path, speakers=2) -> Diarization       the same for any file ffmpeg reads
    assign_words(words, turns) -> labels               a speaker per Whisper word
    split_segments(segments, turns, names) -> segments  cut where the speaker changes, named
    name_speakers(labels, voices, roster, samples)     labels -> roster ids (pure)
    sample_voice(path) -> voice                         a roster speaker's voice sample
    fetch_models() / model_path(model)                  the verified model files (setup)
    DiarizeOptions(speakers=2)                          what the turns depend on (staleness key)

Tasks: `diarize:<slug>` and `voice:<speaker-id>` (found.py), `speakers:<slug>` (stage.py).
Heavy imports (torch, onnxruntime) happen inside the functions that need them.
"""
from .attribute import AttributionResult, ChannelSpeaker, SpeakerHints, attribute, hinted_speakers
from .diarize import Diarization, DiarizeOptions, SpeakerTurn, diarize, diarize_file
from .found import DiarizeJob, VoiceJob, find_speakers, learn_voice, load_found
from .models import ENCODER, SEGMENTATION, ModelFile, SpeakerModelError, fetch_models, model_path
from .naming import RULE, Named, RosterEntry, describe, name_speakers, rule_order
from .stage import AttributeJob, attribute_speakers, channel_speakers, check, preflight, speaker_names, tasks
from .voices import sample_voice
from .words import assign_words, split_segments

__all__ = [
    "AttributeJob", "AttributionResult", "ChannelSpeaker", "SpeakerHints", "attribute", "attribute_speakers",
    "channel_speakers", "check", "hinted_speakers", "preflight", "speaker_names", "tasks",
    "Diarization", "DiarizeOptions", "SpeakerTurn", "diarize", "diarize_file", "assign_words", "split_segments",
    "DiarizeJob", "VoiceJob", "find_speakers", "learn_voice", "load_found",
    "RULE", "Named", "RosterEntry", "describe", "name_speakers", "rule_order", "sample_voice",
    "ENCODER", "SEGMENTATION", "ModelFile", "SpeakerModelError", "fetch_models", "model_path",
]
