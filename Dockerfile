# The bureau worker image (used by docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY bureau ./bureau
RUN pip install --no-cache-dir -c requirements.lock . \
    && useradd --system --uid 10001 bureau \
    && mkdir -p /var/lib/bureau && chown bureau /var/lib/bureau
USER bureau
CMD ["bureau", "worker"]
