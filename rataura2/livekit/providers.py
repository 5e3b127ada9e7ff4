"""From an agent's provider names to LiveKit plugin instances: one table, lazy imports, errors that say what to do.

``PLUGINS`` is the only place that knows which ``livekit-plugins-*`` class serves a provider, which pip extra of
rataura2 installs it and which environment variable holds its key. Provider ``livekit`` is LiveKit Inference (model
strings such as ``"openai/gpt-4.1-mini"``, ``"deepgram/nova-3:en"``, billed through LiveKit Cloud, no plugin), and
``offline`` is the local deterministic LLM. Plugins are imported only when an agent names them, so an offline
deployment installs none. Credentials are checked before anything is built: a missing key is a
:class:`ProviderUnavailableError` naming the variable, at agent construction, not a failure mid-call.

An agent's ``config`` may carry ``llm_options`` / ``stt_options`` / ``tts_options``: keyword arguments for the
plugin constructor (a voice, a base URL, an ``api_key`` that makes the variable unnecessary...).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from livekit.agents import llm, stt, tts

from rataura2.core.spec import AgentSpec
from rataura2.errors import ProviderUnavailableError
from rataura2.livekit.offline_llm import OfflineLLM, OfflineRules

Kind = Literal["llm", "stt", "tts"]

NO_PROVIDER = "none"
OFFLINE = "offline"
LIVEKIT_INFERENCE = "livekit"


@dataclass(frozen=True, slots=True)
class Plugin:
    """How to build one provider's model: ``module.cls(<model_arg>=row model, **options)``."""

    module: str
    cls: str
    extra: str
    """The rataura2 pip extra that installs the plugin: ``pip install 'rataura2[<extra>]'``."""
    env: tuple[str, ...] = ()
    """Variables the plugin reads its credentials from; any one of them suffices. Empty: the plugin finds them
    itself (Google application default credentials)."""
    model_arg: str = "model"

    @property
    def install_hint(self) -> str:
        return f"pip install 'rataura2[{self.extra}]'"


_OPENAI, _GOOGLE = "livekit.plugins.openai", "livekit.plugins.google"
_GOOGLE_KEY = ("GOOGLE_API_KEY",)
_ADC: tuple[str, ...] = ()

PLUGINS: Mapping[tuple[Kind, str], Plugin] = {
    ("llm", "openai"): Plugin(_OPENAI, "LLM", "openai", ("OPENAI_API_KEY",)),
    ("llm", "anthropic"): Plugin("livekit.plugins.anthropic", "LLM", "anthropic", ("ANTHROPIC_API_KEY",)),
    ("llm", "google"): Plugin(_GOOGLE, "LLM", "google", _GOOGLE_KEY),
    ("llm", "gemini"): Plugin(_GOOGLE, "LLM", "google", _GOOGLE_KEY),
    ("stt", "openai"): Plugin(_OPENAI, "STT", "openai", ("OPENAI_API_KEY",)),
    ("stt", "deepgram"): Plugin("livekit.plugins.deepgram", "STT", "deepgram", ("DEEPGRAM_API_KEY",)),
    ("stt", "google"): Plugin(_GOOGLE, "STT", "google", _ADC),
    ("tts", "openai"): Plugin(_OPENAI, "TTS", "openai", ("OPENAI_API_KEY",)),
    ("tts", "elevenlabs"): Plugin("livekit.plugins.elevenlabs", "TTS", "elevenlabs", ("ELEVEN_API_KEY",)),
    ("tts", "cartesia"): Plugin("livekit.plugins.cartesia", "TTS", "cartesia", ("CARTESIA_API_KEY",)),
    ("tts", "google"): Plugin(_GOOGLE, "TTS", "google", _ADC, model_arg="model_name"),
}
"""(kind, provider) -> plugin. Providers not here: ``none`` (STT/TTS off), ``offline`` (LLM), ``livekit``."""

INFERENCE_ENV = (
    ("LIVEKIT_INFERENCE_API_KEY", "LIVEKIT_API_KEY"),
    ("LIVEKIT_INFERENCE_API_SECRET", "LIVEKIT_API_SECRET"),
)
"""LiveKit Inference credentials: for each, the first variable that is set wins."""


def build_llm(spec: AgentSpec) -> llm.LLM[Any] | llm.RealtimeModel:
    """The LLM an agent's ``llm_provider`` / ``llm_model`` name."""
    model = _plan(spec, "llm")()
    if not isinstance(model, llm.LLM | llm.RealtimeModel):
        raise TypeError(f"{type(model).__name__} is not an LLM")
    return model


def build_stt(spec: AgentSpec) -> stt.STT[Any] | None:
    """The agent's speech-to-text, or None for a text-only agent (provider ``none``)."""
    model = _plan(spec, "stt")()
    if model is not None and not isinstance(model, stt.STT):
        raise TypeError(f"{type(model).__name__} is not an STT")
    return model


def build_tts(spec: AgentSpec) -> tts.TTS[Any] | None:
    """The agent's text-to-speech, or None for a text-only agent (provider ``none``)."""
    model = _plan(spec, "tts")()
    if model is not None and not isinstance(model, tts.TTS):
        raise TypeError(f"{type(model).__name__} is not a TTS")
    return model


def check(spec: AgentSpec) -> None:
    """Raise :class:`ProviderUnavailableError` now if any of the agent's models could not be built here (unknown
    provider, plugin not installed, credentials missing); builds nothing."""
    for kind in KINDS:
        _plan(spec, kind)


def preload_plugins() -> list[str]:
    """Import every installed plugin of the table now. LiveKit registers plugins when they are imported, and only
    on the main thread, so a worker calls this at start-up; plugins that are not installed are skipped."""
    loaded = []
    for module in sorted({p.module for p in PLUGINS.values()}):
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        loaded.append(module)
    return loaded


KINDS: tuple[Kind, ...] = ("llm", "stt", "tts")
_INFERENCE_EXAMPLES = {"llm": "openai/gpt-4.1-mini", "stt": "deepgram/nova-3:en", "tts": "cartesia/sonic-3"}


def _plan(spec: AgentSpec, kind: Kind) -> Callable[[], object]:
    """Check everything that can be checked without building, and return how to build."""
    provider = {"llm": spec.llm_provider, "stt": spec.stt_provider, "tts": spec.tts_provider}[kind]
    model = {"llm": spec.llm_model, "stt": spec.stt_model, "tts": spec.tts_model}[kind]
    what = f"agent {spec.name!r}: {kind.upper()} provider {provider!r}"
    if kind == "llm" and provider == OFFLINE:
        rules = OfflineRules.from_config(spec.config, spec.name)
        return lambda: OfflineLLM(spec.name, rules, model=model)
    if kind != "llm" and provider == NO_PROVIDER:
        return lambda: None
    if provider == LIVEKIT_INFERENCE:
        if not model:
            raise ProviderUnavailableError(
                f"{what} (LiveKit Inference) needs a model string such as {_INFERENCE_EXAMPLES[kind]!r}"
            )
        for group in INFERENCE_ENV:
            _require_env(what, kind, group, None, {})
        inference = {"llm": _inference_llm, "stt": _inference_stt, "tts": _inference_tts}[kind]
        inference_model = model
        return lambda: _construct(what, lambda: inference(inference_model), INFERENCE_ENV[0] + INFERENCE_ENV[1], None)
    plugin = PLUGINS.get((kind, provider))
    if plugin is None:
        own = [p for k, p in PLUGINS if k == kind]
        known = sorted([*own, OFFLINE if kind == "llm" else NO_PROVIDER, LIVEKIT_INFERENCE])
        raise ProviderUnavailableError(f"{what} is unknown; known {kind.upper()} providers: {', '.join(known)}")
    options = dict(spec.config.get(f"{kind}_options") or {})
    if plugin.env:
        _require_env(what, kind, plugin.env, plugin.install_hint, options)
    try:
        module = importlib.import_module(plugin.module)
    except ImportError as exc:
        raise ProviderUnavailableError(
            f"{what} needs the {plugin.module.replace('.', '-')} package, which is not installed ({exc}): "
            f"{plugin.install_hint}",
            install_hint=plugin.install_hint,
        ) from exc
    if model:
        options.setdefault(plugin.model_arg, model)
    factory = getattr(module, plugin.cls)
    return lambda: _construct(what, lambda: factory(**options), plugin.env, plugin.install_hint)


def _require_env(what: str, kind: Kind, names: tuple[str, ...], hint: str | None, options: Mapping[str, Any]) -> None:
    if options.get("api_key") or any(os.environ.get(name) for name in names):
        return
    raise ProviderUnavailableError(
        f"{what} needs credentials: set {' or '.join(names)} (or give config.{kind}_options.api_key)",
        install_hint=hint,
        env_vars=names,
    )


def _construct(what: str, build: Callable[[], object], env: tuple[str, ...], hint: str | None) -> object:
    """Build, turning the plugin's own refusal (a missing or bad credential, a bad option) into one error type."""
    try:
        return build()
    except ProviderUnavailableError:
        raise
    except Exception as exc:
        advice = f"; check {' / '.join(env)}" if env else ""
        raise ProviderUnavailableError(
            f"{what} could not be built: {type(exc).__name__}: {exc}{advice}", install_hint=hint, env_vars=env
        ) from exc


def _inference_llm(model: str) -> object:
    from livekit.agents import inference

    return inference.llm_from_model_string(model)


def _inference_stt(model: str) -> object:
    from livekit.agents import inference

    return inference.STT.from_model_string(model)


def _inference_tts(model: str) -> object:
    from livekit.agents import inference

    return inference.TTS.from_model_string(model)
