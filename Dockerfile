# The cunrong service. Expects DATABASE_URL to point at a PostGIS database (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY geo ./geo
COPY scoring ./scoring
COPY service ./service
RUN pip install --no-cache-dir .
COPY data/sample ./data/sample
RUN useradd --system --home /app cunrong && mkdir -p data/photos && chown -R cunrong data
USER cunrong
EXPOSE 8000
CMD ["cunrong", "serve", "--host", "0.0.0.0", "--port", "8000"]
