"""Operations: health and readiness, Prometheus metrics, structured logs, error reporting."""
