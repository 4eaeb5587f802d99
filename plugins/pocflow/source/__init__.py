"""The customer's source MySQL: inventory and readiness rules."""
