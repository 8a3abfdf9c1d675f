"""Loudness: every encode meets its target, checked with an independent meter (pyloudnorm + 4x true peak).

Quiet and peaky recordings, the demo course, the gain plan, the report and
`coursecast check`'s view of a failed loudness gate.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from episodes_helpers import (
    episode_toml, ffmpeg, integrated_lufs, peaky, run_tasks, speechlike, true_peak_db, write_course,
)
from pipeline.core import course_file
from pipeline.episodes import stage as episodes
from pipeline.core import layout
from pipeline.core.errors import StageError
from pipeline.episodes.loudness import (
    Encoded, GainPlan, Loudness, LoudnessReport, correction, load_report, measure_files, plan_gain,
)

TOLERANCE_LU = 1.0  # the gate: within ±1 LU of target ...
MAX_TRUE_PEAK = -1.0  # ... and at most -1.0 dBTP
from paths import REPO


def assert_meets_target(course, target: float, episodes_=None) -> None:
    """Both encodes of every episode, measured independently of the stage."""
    for ep in episodes_ or course.episodes:
        for ext in ("mp3", "m4a"):
            path = layout.episode_audio(course, ep, ext)
            lufs, peak = integrated_lufs(path), true_peak_db(path)
            assert abs(lufs - target) <= TOLERANCE_LU, f"{path.name}: {lufs:.2f} LUFS"
            assert peak <= MAX_TRUE_PEAK, f"{path.name}: {peak:.2f} dBTP"


def test_ebur128_measurement_matches_the_standard(tmp_path):
    ffmpeg("-f", "lavfi", "-i", "aevalsrc=0.1*sin(2*PI*1000*t):s=48000:d=3", "-c:a", "pcm_f32le",
           str(tmp_path / "sine.wav"))
    measured = measure_files([tmp_path / "sine.wav"], what="test")[0]
    assert measured.integrated == pytest.approx(-23.0, abs=0.2)  # BS.1770: 1 kHz at -20 dBFS peak, one channel
    assert measured.true_peak == pytest.approx(-20.0, abs=0.2)
    assert measured.integrated == pytest.approx(integrated_lufs(tmp_path / "sine.wav"), abs=0.2)


def test_quiet_stereo_recording_gets_lots_of_gain_and_meets_the_stereo_target(tmp_path):
    (tmp_path / "raw_interviews").mkdir()
    speechlike(tmp_path / "raw_interviews" / "quiet.wav", 3.0, lufs=-44.0, channels=2)
    course = write_course(tmp_path, episode_toml("quiet", """
        [[episodes.sources]]
        file = "quiet.wav"
        """))
    run_tasks(course)
    report = load_report(layout.loudness_report(course, course.episode("quiet")))
    assert report.channels == 2 and report.target_lufs == -16.0
    assert report.gain_db > 25 and report.passed
    assert report.input.integrated == pytest.approx(-44.0, abs=1.0)
    assert_meets_target(course, -16.0)


def test_peaky_recording_is_limited_not_clipped_and_meets_the_mono_target(tmp_path):
    (tmp_path / "raw_interviews").mkdir()
    peaky(tmp_path / "raw_interviews" / "peaky.wav", 3.0)
    course = write_course(tmp_path, episode_toml("peaky", """
        [[episodes.sources]]
        file = "peaky.wav"
        """))
    run_tasks(course)
    report = load_report(layout.loudness_report(course, course.episode("peaky")))
    assert report.mode == "linear+limiter"
    assert report.input.true_peak + report.gain_db > -1.0  # linear gain alone would have clipped
    assert_meets_target(course, -19.0)


@pytest.fixture(scope="module")
def demo_course(tmp_path_factory) -> course_file.Course:
    """The demo course in a temp folder (its recordings linked when generated in the repo, else generated)."""
    dest = tmp_path_factory.mktemp("demo")
    recordings = REPO / "demo" / "raw_interviews"
    if recordings.is_dir() and any(recordings.rglob("*.wav")):
        shutil.copy(REPO / "demo" / "course.toml", dest / "course.toml")
        (dest / "raw_interviews").symlink_to(recordings, target_is_directory=True)
    else:
        from pipeline.demo.generate import generate

        generate(dest)
    return course_file.load(dest / "course.toml")


@pytest.mark.slow
def test_demo_course_episodes_all_meet_their_loudness_targets(demo_course):
    run_tasks(demo_course, ("artwork", "episodes", "master", "tags"))
    for ep in demo_course.episodes:
        report = load_report(layout.loudness_report(demo_course, ep))
        assert report.passed, report.problems
        assert_meets_target(demo_course, report.target_lufs, [ep])


def test_silent_audio_is_an_error_not_a_division_by_minus_infinity():
    silence = Loudness(integrated=-70.0, true_peak=float("-inf"), lra=0.0, threshold=-70.0)
    with pytest.raises(StageError, match="silent"):
        plan_gain(silence, -19.0, -1.5, what="episode 'x'")


def test_gain_plan_adds_a_limiter_only_when_the_peak_would_go_over_the_ceiling():
    speech = Loudness(integrated=-30.0, true_peak=-14.0, lra=6.0, threshold=-40.0)
    assert plan_gain(speech, -19.0, -1.5, what="x") == GainPlan(-19.0, 11.0, -1.5, -14.0, False)
    assert [str(f) for f in plan_gain(speech, -19.0, -1.5, what="x").filters(44100)] == ["volume=11.000dB"]
    peaky_speech = Loudness(integrated=-30.0, true_peak=-6.0, lra=6.0, threshold=-40.0)
    plan = plan_gain(peaky_speech, -19.0, -1.5, what="x")
    names = [f.name for f in plan.filters(44100)]
    assert plan.limiter and plan.mode == "linear+limiter" and names == ["volume", "aresample", "alimiter", "aresample"]
    assert "aresample=176400" in map(str, plan.filters(44100))  # the limiter sees inter-sample peaks


def test_a_correction_when_an_encode_misses():
    plan = GainPlan(-19.0, 10.0, -1.5, -20.0, True)
    assert correction(plan, Loudness(-19.1, -2.0, 5.0, -29.0), -1.0) is None
    assert correction(plan, Loudness(-20.3, -2.0, 5.0, -29.0), -1.0).gain_db == pytest.approx(11.3)
    fixed = correction(plan, Loudness(-19.0, -0.9, 5.0, -29.0), -1.0)  # the codec added 0.6 dB of peak
    assert fixed.limiter and fixed.ceiling_db == pytest.approx(-1.5 - 0.6 - 0.15)


def test_report_round_trips_and_check_shows_a_failed_gate(course_dir: Path):
    course = course_file.load(course_dir / "course.toml")
    ep = course.episode("ep1")
    measured = Loudness(-30.0, float("-inf"), 4.0, -40.0)
    mp3 = Encoded(Loudness(-17.6, -0.4, 4.0, -28.0), 11.0, -1.5, "linear+limiter", 3)
    failed = LoudnessReport("ep1", -19.0, 1, measured, {"mp3": mp3},
                            ("ep1.mp3 peaks at -0.4 dBTP, above the -1.0 dBTP limit",))
    failed.save(layout.loudness_failure(course, ep))
    assert load_report(layout.loudness_failure(course, ep)) == failed
    problems = episodes.check(course)
    assert any("'ep1' failed the loudness gate" in p and "-0.4 dBTP" in p for p in problems)
