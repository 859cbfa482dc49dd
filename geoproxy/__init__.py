"""geoproxy: route one CloudFront origin name to regional PoPs with Route 53 latency records."""

__version__ = "0.1.0"
