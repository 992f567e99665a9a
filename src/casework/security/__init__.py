"""HTTP hardening: headers, body limits, rate limits, proxies, CSRF."""
