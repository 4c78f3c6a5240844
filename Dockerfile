# Wyoming text-to-speech server for Arabic (Hamsa, Faseeh, offline Piper and espeak-ng).
#   docker build -t wyoming-arabic-tts .
#   docker run -d -p 10200:10200 -v arabic-tts-data:/data \
#     -e HAMSA_API_KEY=... -e FASEEH_API_KEY=... wyoming-arabic-tts
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# espeak-ng is the offline Arabic voice of last resort (espeak-ar) and the phonemizer of
# the neural Piper voice; offline-ar (the fallback when the cloud fails, and the voice of a
# container started without any API key) is Piper once its file is in /data, else espeak-ng.
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*

# Only what the package needs (see .dockerignore): the server and the provider core it
# shares with the Home Assistant integration. zeroconf is what --zeroconf needs; the
# tashkeel extra gives the offline voices their vowel marks (text2tashkeel + onnxruntime),
# the piper extra runs the Piper voice (onnxruntime).
WORKDIR /tmp/src
COPY pyproject.toml README.md ./
COPY custom_components/arabic_tts/core/ ./custom_components/arabic_tts/core/
COPY wyoming_server/ ./wyoming_server/
RUN pip install ".[tashkeel,piper]" "zeroconf>=0.88" \
    && rm -rf /tmp/src \
    && useradd --system --uid 10200 --user-group --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin wyoming \
    && mkdir /data && chown wyoming:wyoming /data

# Voice files are not baked into the image: the Piper voice (about 63 MB) is downloaded
# into /data at the first start (or ahead of time: docker run --rm -v arabic-tts-data:/data
# wyoming-arabic-tts download)
# and kept there across upgrades when /data is a volume.
ENV ARABIC_TTS_DATA_DIR=/data
VOLUME /data

WORKDIR /
USER wyoming
EXPOSE 10200

# A real Describe round trip, not just an open port. If you change the port in --uri,
# override this with --health-cmd.
HEALTHCHECK --interval=30s --timeout=10s --start-period=15s --retries=3 \
    CMD ["python", "-m", "wyoming_server.health_check", "--uri", "tcp://127.0.0.1:10200"]

# Exec form: the server is PID 1 and gets SIGTERM itself (it closes provider sockets).
ENTRYPOINT ["wyoming-arabic-tts"]
CMD ["--uri", "tcp://0.0.0.0:10200"]
