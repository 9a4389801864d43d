FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY api ./api
COPY schema ./schema
COPY models ./models
COPY policies ./policies
COPY seeds ./seeds
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 jiuzhu
USER jiuzhu
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
# gunicorn's master with 2 uvicorn workers (uvloop + httptools, one SO_REUSEPORT socket each); on SIGTERM the
# workers finish in-flight requests for up to 30 s (give `docker stop` a longer --time than its default 10 s).
STOPSIGNAL SIGTERM
CMD ["jiuzhu", "serve", "--workers", "2"]
