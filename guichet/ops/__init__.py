"""Running Guichet in production: health and readiness probes, Prometheus metrics, structured request logs,
clean answers while the database is away, and the launcher of the production shape (`guichet production`)."""
