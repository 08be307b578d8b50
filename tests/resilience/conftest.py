"""The resilience tests build their own clients (each with a private client pool): no fixtures."""
